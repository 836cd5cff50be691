import { wardPackage } from '../../tsup.base.js';

export default wardPackage({ entry: ['src/index.ts', 'src/backend-kit.ts'], platform: 'neutral', target: 'es2022' });
