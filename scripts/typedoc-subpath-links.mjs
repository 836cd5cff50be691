// TypeDoc plugin: a `{@link Name}` in a comment resolves to the @ward/core subpath that exports
// `Name` when the comment's own module does not. TypeDoc looks a bare name up only in the
// comment's own module, and since @ward/core has subpaths (README, "Public API") a function in
// `@ward/core/keys` links to `KeyError`, which is documented in `@ward/core/errors`. The errors
// subpath is searched first, then the root, then the other modules in entry-point order. A
// name no module exports stays unresolved, and typedoc's link validation reports it.
//
// It also builds the site's pages beside the API (typedoc.json `readme`, `projectDocuments`)
// and links plain file names in comments.
//
// - markdown-it's fuzzy links turned every "SPEC.md" in a comment into a broken
//   `http://SPEC.md` link; such links become plain text again, and a comment's "SPEC.md"
//   links to the SPEC page instead.
// - A document is named by its first heading (package READMEs as "Package @ward/…"), not by
//   its file name: four files are called README.md.
// - The benchmark tables are the README's "Benchmarks" section; they get a page of their own,
//   read from the README when the docs are built, so the two cannot differ.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Converter, MarkdownEvent, MinimalSourceFile, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  loadPages(app);
  app.converter.addUnknownSymbolResolver((ref, reflection) => {
    if (ref.moduleSource !== undefined || ref.symbolReference?.path === undefined) return undefined;
    const path = ref.symbolReference.path.map((p) => p.path);
    const modules = (reflection.project.children ?? []).filter((c) => c.kindOf(ReflectionKind.SomeModule));
    const rank = (m) => (m.name === '@ward/core/errors' ? 0 : m.name === '@ward/core' ? 1 : 2);
    for (const module of [...modules].sort((a, b) => rank(a) - rank(b))) {
      let target = module;
      for (const name of path) target = target?.getChildByName?.([name]);
      if (target !== undefined && target !== module) return { target };
    }
    return undefined;
  });
}

/** The README's `## Benchmarks` section up to the next `## ` heading, as its own page. */
function benchmarkSection(readme) {
  const start = readme.indexOf('\n## Benchmarks\n');
  if (start < 0) throw new Error('README.md has no "## Benchmarks" section for the benchmarks page');
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start + 1, next < 0 ? undefined : next);
  return section.replace(/^#(#+) /gm, '$1 ');
}

const documentPaths = new Map(); // document reflection → its file, relative to the repository

/** @param {import('typedoc').Application} app */
function loadPages(app) {
  app.converter.on(Converter.EVENT_CREATE_DOCUMENT, (_context, document) => {
    const path = relative(process.cwd(), document.project.files.getReflectionPath(document) ?? '');
    documentPaths.set(document, path);
    const heading = /^# (.+)$/m.exec(document.content.map((part) => part.text).join(''))?.[1]?.trim();
    const pkg = /^packages\/([^/]+)\/README\.md$/.exec(path);
    if (path === 'README.md') return; // the benchmark tables, named where they are added
    if (pkg) document.name = `Package @ward/${pkg[1]}`;
    else if (path === 'bench/README.md') document.name = 'Benchmarks: how to run them';
    else if (heading) document.name = heading;
  });

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    // package READMEs, those that exist (a glob in projectDocuments that matches none is a warning)
    for (const name of readdirSync('packages').sort()) {
      const path = join('packages', name, 'README.md');
      if (existsSync(path)) app.converter.addDocument(context.project, new MinimalSourceFile(readFileSync(path, 'utf8'), resolve(path)), path);
    }
    const text = benchmarkSection(readFileSync('README.md', 'utf8'));
    app.converter.addDocument(context.project, new MinimalSourceFile(text, resolve('README.md')), 'Benchmark results');
  });

  // "SPEC.md" as plain text in a comment (not inside a tag or code) links to the SPEC page.
  app.renderer.on(MarkdownEvent.PARSE, (event) => {
    const spec = [...documentPaths].find(([, path]) => path === 'SPEC.md')?.[0];
    // markdown-it's fuzzy links: a bare `NAME.md` became `<a href="http://NAME.md">`
    event.parsedText = event.parsedText.replace(/<a href="http:\/\/([\w.-]+\.md)">\1<\/a>/g, '$1');
    if (spec === undefined || event.page.model === spec) return;
    const href = app.renderer.router.relativeUrl(event.page.model, spec);
    event.parsedText = event.parsedText.replace(/(<code>[^<]*<\/code>|<a\b[^>]*>.*?<\/a>|<[^>]*>)|\bSPEC\.md\b/gs,
      (match, keep) => keep ?? `<a href="${href}">SPEC.md</a>`);
  });
}
