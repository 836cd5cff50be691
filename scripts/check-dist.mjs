// Loads every built package the way a user would (no @ward/source condition): ESM through
// import, CJS through require, and runs one real operation through each, so a broken
// `exports` map, a missing .d.ts or a CJS build that cannot load its ESM-only dependencies
// fails CI instead of a user's install. Every subpath of @ward/core's `exports` loads both ways
// and shares one copy of each class with the root (no CJS bundle of its own per subpath), and
// the platform packages hand out the core root's own objects.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const packages = ['@ward/core', '@ward/node', '@ward/browser', '@ward/device'];
const message = new TextEncoder().encode('footfall=42');

for (const name of packages) {
  const dir = `packages/${name.slice('@ward/'.length)}/dist`;
  for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
    if (!existsSync(`${dir}/${file}`)) throw new Error(`${name}: missing dist/${file}`);
  }
  for (const [format, mod] of [['esm', await import(name)], ['cjs', require(name)]]) {
    const backend = name === '@ward/node' ? mod.createNodeBackend() : mod.createNobleBackend();
    const key = await backend.generateKey('Ed25519');
    const signature = await backend.sign(key, message);
    if (!(await backend.verify(await backend.publicKey(key), message, signature))) {
      throw new Error(`${name} (${format}): sign/verify round trip failed`);
    }
    console.log(`${name} ${format}: ok (${backend.name} backend)`);
  }
}

const coreExports = JSON.parse(readFileSync('packages/core/package.json', 'utf8')).exports;
for (const [format, load] of [['esm', (id) => import(id)], ['cjs', async (id) => require(id)]]) {
  const seen = new Map();
  for (const [subpath, entry] of Object.entries(coreExports)) {
    if (typeof entry === 'string') continue;
    for (const file of [entry.import.types, entry.import.default, entry.require.types, entry.require.default]) {
      if (!existsSync(`packages/core/${file}`)) throw new Error(`@ward/core ${subpath}: missing ${file}`);
    }
    const id = subpath === '.' ? '@ward/core' : `@ward/core/${subpath.slice(2)}`;
    const mod = await load(id);
    const names = Object.keys(mod).filter((n) => n !== 'default' && n !== '__esModule');
    if (names.length === 0) throw new Error(`${id} (${format}): exports nothing`);
    for (const name of names) {
      const first = seen.get(name);
      if (first === undefined) seen.set(name, { id, value: mod[name] });
      else if (first.value !== mod[name]) throw new Error(`${format}: ${name} differs between ${first.id} and ${id}`);
    }
    console.log(`${id} ${format}: ${names.length} names`);
  }
  const root = await load('@ward/core');
  for (const platform of ['@ward/node', '@ward/browser', '@ward/device']) {
    const mod = await load(platform);
    for (const name of Object.keys(root)) {
      if (name !== 'default' && name !== '__esModule' && mod[name] !== root[name]) throw new Error(`${platform} (${format}): ${name} is not @ward/core's`);
    }
  }
  console.log(`@ward/node, @ward/browser, @ward/device ${format}: re-export the @ward/core root`);
}
