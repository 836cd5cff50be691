// Checks the four packages as npm would ship them (run after `npm run build`). Each package is
// packed with `npm pack` into a temporary folder, and its tarball must pass:
//   - attw (@arethetypeswrong/cli, strict profile): every entry point's types resolve, in the right
//     module format, under node10, node16 from CJS, node16 from ESM and bundler;
//   - publint, strict, with suggestions counted as failures;
//   - contents: no test files, fixtures, test-kit, shell scripts, key files or private-key PEM, no
//     source map naming a file the tarball lacks; README.md and LICENSE present;
//   - metadata: license, keywords, homepage, bugs, repository with this package's directory;
//   - the README's example, run with node against the built workspace packages;
//   - `npm publish --dry-run` of the tarball, against a registry address nothing listens on.
// Prints one line per package and exits non-zero on any problem. `--keep` keeps the temp folder.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const PACKAGES = ['core', 'node', 'browser', 'device'];
/* Nothing listens here: even a publish that ignored --dry-run could not reach a registry. npm 11's
 * dry run asks the registry whether the version exists and goes on when it cannot; without
 * --fetch-retries=0 it retries for 70 s first. */
const DEAD_REGISTRY = 'http://127.0.0.1:9/';
const keep = process.argv.includes('--keep');

/* Paths a published package must not hold: [rule, test]. */
const FORBIDDEN_PATHS = [
  ['test file', (p) => /\.(test|spec)\.[^/]+$/.test(p)],
  ['fixtures', (p) => /(^|\/)[^/]*fixtures(\/|$)/.test(p)],
  ['test-kit', (p) => /(^|\/)test-kit(\/|$)/.test(p)],
  ['shell script', (p) => /\.sh$/.test(p)],
  ['key file (PEM/hex/PKCS)', (p) => /\.(pem|hex|key|p8|p12|pfx|jwk)$/.test(p)],
];
/* A PEM private key with its body, not just the header text a parser may contain. */
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=]{16}/;

const run = (cmd, args, options = {}) => execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, ...options });
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function listFiles(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path, base) : [posix.normalize(path.slice(base.length + 1).split('\\').join('/'))];
  });
}

function checkContents(dir, files, pkg, problems) {
  const fileSet = new Set(files);
  for (const file of files) {
    for (const [rule, test] of FORBIDDEN_PATHS) if (test(file)) problems.push(`contents: ${file} (${rule})`);
    if (/\.(js|cjs|mjs|ts|cts|mts|json|md|pem|txt)$/.test(file) || !file.includes('.')) {
      if (PRIVATE_KEY_PEM.test(readFileSync(join(dir, file), 'utf8'))) problems.push(`contents: ${file} holds a PEM private key`);
    }
    if (/\.[cm]?js$/.test(file)) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(dir, file), 'utf8'))?.[1];
      if (url !== undefined && !url.startsWith('data:') && !fileSet.has(posix.join(posix.dirname(file), url))) {
        problems.push(`contents: ${file} names a missing source map ${url}`);
      }
    }
    if (file.endsWith('.map')) {
      const map = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      for (const source of map.sources ?? []) {
        const target = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
        if (!fileSet.has(target)) problems.push(`contents: ${file} points at ${source}, not in the tarball`);
      }
    }
  }
  for (const required of ['README.md', 'LICENSE', 'package.json']) if (!fileSet.has(required)) problems.push(`contents: no ${required}`);
  const dirName = `packages/${pkg}`;
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (manifest.private === true) problems.push('metadata: private (npm publish would refuse it; its --dry-run does not)');
  if (typeof manifest.license !== 'string' || manifest.license === '') problems.push('metadata: no license');
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) problems.push('metadata: no keywords');
  if (typeof manifest.homepage !== 'string' || !manifest.homepage.startsWith('https://')) problems.push('metadata: no https homepage');
  if (typeof manifest.bugs?.url !== 'string') problems.push('metadata: no bugs.url');
  if (typeof manifest.repository?.url !== 'string') problems.push('metadata: no repository.url');
  if (manifest.repository?.directory !== dirName) problems.push(`metadata: repository.directory is not ${dirName}`);
  return manifest;
}

/* The README's first js block must be a program that runs and prints what its last comment says. */
function checkReadmeExample(dir, name, tmp, problems) {
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  if (!readme.includes(`npm install ${name}`)) problems.push(`README: no "npm install ${name}"`);
  const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) return void problems.push('README: no ```js example');
  const lines = code.trim().split('\n').length;
  const expected = /\/\/ (.+)\n?$/.exec(code.trim())?.[1];
  const file = join(tmp, `${name.replace('/', '-')}-example.mjs`);
  writeFileSync(file, code);
  try {
    const out = run(process.execPath, [file], { cwd: tmp, timeout: 60_000 }).trim();
    if (expected !== undefined && out !== expected) problems.push(`README example printed ${JSON.stringify(out)}, not ${JSON.stringify(expected)}`);
  } catch (error) {
    problems.push(`README example failed: ${String(error.stderr || error.message).trim().split('\n').slice(0, 3).join(' | ')}`);
  }
  return lines;
}

function checkTypes(tarball, problems) {
  /* attw exits 1 on problems before a pipe drains, cutting its JSON short: it writes to a file. */
  const jsonFile = `${tarball}.attw.json`;
  const fd = openSync(jsonFile, 'w');
  try {
    execFileSync(join(ROOT, 'node_modules/.bin/attw'), [tarball, '--profile', 'strict', '--no-definitely-typed', '--format', 'json'], {
      cwd: ROOT,
      stdio: ['ignore', fd, 'pipe'],
    });
  } catch (error) {
    if (error.status !== 1) throw error; // 1: problems found, listed in the JSON
  } finally {
    closeSync(fd);
  }
  const out = readFileSync(jsonFile, 'utf8');
  const { analysis } = JSON.parse(out);
  for (const problem of analysis.problems ?? []) {
    problems.push(`attw: ${problem.kind} ${problem.entrypoint ?? problem.typesFileName ?? ''} ${problem.resolutionKind ?? ''}`.trim());
  }
  const entrypoints = Object.values(analysis.entrypoints);
  const resolutions = new Set(entrypoints.flatMap((e) => Object.keys(e.resolutions)));
  return `attw ${entrypoints.length} entry points x ${resolutions.size} resolutions (${[...resolutions].join(', ')})`;
}

async function checkPublint(tarball, problems) {
  const bytes = readFileSync(tarball);
  const { messages, pkg } = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    level: 'suggestion',
    strict: true,
  });
  for (const message of messages) problems.push(`publint ${message.type}: ${formatMessage(message, pkg) ?? message.code}`);
  return `publint ${messages.length} messages`;
}

function checkPublish(tarball, problems) {
  try {
    run('npm', ['publish', tarball, '--dry-run', '--registry', DEAD_REGISTRY, '--tag', 'ward-dry-run', '--access', 'public', '--ignore-scripts', '--fetch-retries=0'], {
      env: { ...process.env, npm_config_dry_run: 'true' },
    });
  } catch (error) {
    problems.push(`npm publish --dry-run failed: ${String(error.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  }
}

for (const pkg of PACKAGES) {
  if (!existsSync(join(ROOT, `packages/${pkg}/dist/index.js`))) {
    console.error(`packages/${pkg}/dist is missing: run npm run build first`);
    process.exit(1);
  }
}
const tmp = mkdtempSync(join(tmpdir(), 'ward-packages-'));
/* The README examples resolve @ward/* and its dependencies through the workspace's node_modules (built dist). */
symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'), 'dir');
let failed = 0;
try {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tmp, ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`])]));
  for (const [i, pkg] of PACKAGES.entries()) {
    const info = packed[i];
    const problems = [];
    const tarball = join(tmp, info.filename);
    const dir = join(tmp, pkg);
    mkdirSync(dir);
    run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
    const files = listFiles(dir);
    const started = performance.now();
    const times = [];
    const timed = async (label, fn) => {
      const t0 = performance.now();
      const result = await fn();
      times.push(`${label} ${((performance.now() - t0) / 1000).toFixed(1)}`);
      return result;
    };
    await timed('contents', () => checkContents(dir, files, pkg, problems));
    const lines = await timed('example', () => checkReadmeExample(dir, info.name, tmp, problems));
    const types = await timed('attw', () => checkTypes(tarball, problems));
    const lint = await timed('publint', () => checkPublint(tarball, problems));
    await timed('publish', () => checkPublish(tarball, problems));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const summary = `${info.name}: ${files.length} files, ${kb(info.size)} packed (${kb(info.unpackedSize)} unpacked); ${types}; ${lint}; README example ${lines} lines ran; publish --dry-run; ${seconds} s (${times.join(', ')})`;
    if (problems.length === 0) {
      console.log(`ok   ${summary}`);
    } else {
      failed += 1;
      console.log(`FAIL ${summary}`);
      for (const problem of problems) console.log(`     - ${problem}`);
    }
  }
} finally {
  if (keep) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
if (failed > 0) {
  console.error(`check-packages: ${failed} of ${PACKAGES.length} packages have problems`);
  process.exit(1);
}
console.log(`check-packages: ${PACKAGES.length} packages ok`);
