import { wardPackage } from '../../tsup.base.js';

export default wardPackage({ entry: ['src/index.ts'], platform: 'node', target: 'node20' });
