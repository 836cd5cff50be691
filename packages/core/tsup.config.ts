import { wardPackage } from '../../tsup.base.js';

/*
 * One entry per `exports` subpath of package.json (dist/<subpath>.js); public-surface.test.ts checks
 * they agree. Splitting for CJS too (ESM splits by default): the subpaths then share one copy of
 * each module, so `require('@ward/core').WardError === require('@ward/core/errors').WardError`.
 */
export default wardPackage({
  entry: {
    index: 'src/index.ts',
    cose: 'src/cose/index.ts',
    cbor: 'src/cbor/index.ts',
    keys: 'src/keys/index.ts',
    policy: 'src/policy/index.ts',
    replay: 'src/replay/index.ts',
    errors: 'src/errors-entry.ts',
    wire: 'src/wire.ts',
    'backend-kit': 'src/backend-kit.ts',
    'city-policy': 'src/city-policy/index.ts',
  },
  platform: 'neutral',
  target: 'es2022',
  splitting: true,
});
