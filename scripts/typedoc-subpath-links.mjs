// TypeDoc plugin: a `{@link Name}` in a comment resolves to the @ward/core subpath that exports
// `Name` when the comment's own module does not. TypeDoc looks a bare name up only in the
// comment's own module, and since @ward/core has subpaths (README, "Public API") a function in
// `@ward/core/keys` links to `KeyError`, which is documented in `@ward/core/errors`. The errors
// subpath is searched first, then the root, then the other modules in entry-point order. A
// name no module exports stays unresolved, and typedoc's link validation reports it.
import { ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
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
