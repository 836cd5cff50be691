// Loads every built package the way a user would (no @ward/source condition): ESM through
// import, CJS through require, and runs one real operation through each, so a broken
// `exports` map, a missing .d.ts or a CJS build that cannot load its ESM-only dependencies
// fails CI instead of a user's install.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

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
