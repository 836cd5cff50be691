// STYLE.md convention 6: every public export has TSDoc with an @example. TypeDoc's own
// validation (warnings are errors) already demands a comment on everything exported; this
// check reads TypeDoc's JSON model and demands an @example on every exported function and
// class, and on every public method a class declares itself (documentation a method takes
// over from the interface it implements counts). Interfaces and types need a comment only.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const KIND = { Module: 2, Namespace: 4, Function: 64, Class: 128, Interface: 256, Method: 2048, Reference: 4194304 };
const project = JSON.parse(readFileSync('docs-site/api.json', 'utf8'));

const hasExample = (comment) => Boolean(comment?.blockTags?.some((t) => t.tag === '@example'));
const missing = [];

function check(reflection, path) {
  const name = `${path}${reflection.name}`;
  switch (reflection.kind) {
    case KIND.Function:
    case KIND.Method: {
      const documented = hasExample(reflection.comment) || reflection.signatures?.some((s) => hasExample(s.comment));
      const own = !reflection.inheritedFrom && !reflection.flags?.isPrivate;
      if (own && !documented) missing.push(name);
      break;
    }
    case KIND.Class:
      if (!hasExample(reflection.comment)) missing.push(name);
      break;
    default:
      break;
  }
  if (reflection.kind === KIND.Class) {
    for (const child of reflection.children ?? []) if (child.kind === KIND.Method) check(child, `${name}.`);
  }
  if (reflection.kind === KIND.Module || reflection.kind === KIND.Namespace) {
    for (const child of reflection.children ?? []) check(child, `${name}/`);
  }
}

for (const child of project.children ?? []) check(child, '');
if (missing.length > 0) {
  console.error(`Public API without an @example (${missing.length}):\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log('every public function, class and method has an @example');

// README "Public API": the site names each module by the package and subpath a user imports
// (the `exports` map of each package), never by a source path, and names every one of them (file-asset patterns such as ./city-policy/* are files, not modules).
const expected = [];
for (const name of ['core', 'node', 'browser', 'device']) {
  const pkg = JSON.parse(readFileSync(`packages/${name}/package.json`, 'utf8'));
  for (const key of Object.keys(pkg.exports)) if (key !== './package.json' && !key.includes('*')) expected.push(pkg.name + key.slice(1));
}
const modules = (project.children ?? []).filter((c) => c.kind === KIND.Module).map((c) => c.name);
const unnamed = modules.filter((m) => !expected.includes(m));
const absent = expected.filter((e) => !modules.includes(e));
if (unnamed.length > 0 || absent.length > 0) {
  console.error(`API site modules differ from the packages' exports maps:\n  not an entry point: ${unnamed.join(', ') || '-'}\n  entry point without a module: ${absent.join(', ') || '-'}`);
  process.exit(1);
}
console.log(`API site modules are the ${expected.length} package entry points: ${expected.join(', ')}`);

// A file name in a comment is no web address: markdown-it's fuzzy links once made every
// "SPEC.md" a link to http://SPEC.md (scripts/typedoc-subpath-links.mjs links it to the SPEC page).
const broken = [];
for (const file of readdirSync('docs-site', { recursive: true })) {
  if (!String(file).endsWith('.html')) continue;
  for (const match of readFileSync(join('docs-site', String(file)), 'utf8').matchAll(/href="(https?:\/\/[^"/]+\.md)"/g)) broken.push(`${file}: ${match[1]}`);
}
if (broken.length > 0) {
  console.error(`Links to a file name taken for a web address (${broken.length}):\n  ${broken.join('\n  ')}`);
  process.exit(1);
}
console.log('no file name is linked as a web address');
