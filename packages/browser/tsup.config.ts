import { wardPackage } from '../../tsup.base.js';

export default wardPackage({ entry: ['src/index.ts'], platform: 'browser', target: 'es2022' });
