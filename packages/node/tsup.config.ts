import { wardPackage } from '../../tsup.base.js';

export default wardPackage({ entry: { index: 'src/index.ts', 'admission-worker': 'src/policy/admission-worker.ts', 'decision-worker': 'src/policy/decision-worker.ts' }, platform: 'node', target: 'node20' });
