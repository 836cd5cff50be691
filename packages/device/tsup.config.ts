import { wardPackage } from '../../tsup.base.js';

export default wardPackage({ entry: ['src/index.ts'], platform: 'neutral', target: 'es2022' });
