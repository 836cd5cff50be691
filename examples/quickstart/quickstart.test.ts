/*
 * The quickstart as a test: the scenario runs for real (keys, keystore file, seals, the shipped
 * policy, the decision log) and every expected outcome must happen; its readers and readings
 * must be those of policies/examples/scenarios.json and get the decisions recorded there; and
 * a changed world (the contractor's contract over) must be caught, with the CLI exiting 1.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { main } from './main.js';
import { EMERGENCY, EXPECTED, PRODUCERS, READERS, runQuickstart } from './scenario.js';
import type { ProducerName, QuickstartResult, SubjectName } from './scenario.js';

interface Scenario {
  readonly name: string;
  readonly input: null | {
    readonly action: string;
    readonly subject: { readonly id: string };
    readonly resource: { readonly issuer: string; readonly stream: string; readonly sequence: string; readonly attributes: unknown };
    readonly environment: { readonly time: number; readonly emergency?: unknown };
  };
  readonly decision: { readonly allow: boolean; readonly reasons: readonly string[]; readonly obligations: readonly unknown[] };
}

const scenarios = (JSON.parse(readFileSync(new URL('../../policies/examples/scenarios.json', import.meta.url), 'utf8')) as {
  scenarios: readonly Scenario[];
}).scenarios;

/** The time the scenarios are decided at (2026-11-22T04:51:42Z), inside the contractor's window. */
const SCENARIO_TIME = 1_795_323_102;
/** The end of contractor:metromaint:ravi's window (exclusive): 2030-01-01. */
const CONTRACT_END = 1_893_456_000;

const subjectOf = (id: string | undefined): SubjectName | undefined =>
  (Object.keys(READERS) as SubjectName[]).find((name) => READERS[name].subject.id === id);
const producerOf = (issuer: string | undefined): ProducerName | undefined =>
  (Object.keys(PRODUCERS) as ProducerName[]).find((name) => PRODUCERS[name].issuer === issuer);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('quickstart', () => {
  let result: QuickstartResult;
  const lines: string[] = [];
  /* One real run, at the scenarios' time, shared by the assertions below. */
  beforeAll(async () => {
    result = await runQuickstart({ clock: () => SCENARIO_TIME, print: (line) => void lines.push(line) });
  });

  test('every expected outcome happens', () => {
    const failed = result.outcomes.filter((o) => !o.ok);
    expect(failed).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.outcomes.map((o) => o.step)).toEqual([...EXPECTED.keys()]);
    for (const outcome of result.outcomes) expect(outcome.actual, outcome.step).toBe(EXPECTED.get(outcome.step));
    expect(lines.at(-1)).toMatch(/^All 31 expected outcomes happened/);
    expect(result.decisionLog).toEqual({ count: 20, authenticated: true, chained: true });
    expect(result.notifications.map((n) => [n.to, n.reading, n.incident])).toEqual([
      ['cctv-office', 'cctv#77', 'INC-2026-1142'], ['city-security-desk', 'cctv#77', 'INC-2026-1142'],
      ['cctv-office', 'cctv#78', 'INC-2026-1142'], ['city-security-desk', 'cctv#78', 'INC-2026-1142'],
    ]);
    /* Allowed opens release the sealed payload; no denial reached a key. */
    for (const access of result.accesses) {
      if (access.decision?.allow === true) expect(access.plaintext, `${access.subject} ${access.reading}`).toBeDefined();
      else expect([access.plaintext, access.key], `${access.subject} ${access.reading}`).toEqual([undefined, undefined]);
    }
  });

  test("its readers and first-round readings are policies/examples/scenarios.json's, with the same decisions", () => {
    /* The malformed-input scenarios have inputs of any shape: read them defensively. */
    const quickstart = scenarios.filter((s) =>
      s.input?.action === 'open'
      && s.input.environment?.time === SCENARIO_TIME
      && subjectOf(s.input.subject?.id) !== undefined
      && producerOf(s.input.resource?.issuer) !== undefined
      && !s.decision.reasons.some((reason) => reason.startsWith('invalid-input:')));
    /* 3 readers × 3 readings, plus the responder and the camera during the emergency. */
    expect(quickstart).toHaveLength(10);
    for (const scenario of quickstart) {
      const { subject, resource, environment } = scenario.input!;
      const who = subjectOf(subject.id)!;
      const producer = PRODUCERS[producerOf(resource.issuer)!];
      const [sequence] = producer.readings[0]!;
      expect(subject, scenario.name).toEqual(READERS[who].subject);
      expect([resource.stream, resource.sequence, resource.attributes], scenario.name)
        .toEqual([producer.stream, String(sequence), producer.attributes]);
      if (environment.emergency !== undefined) expect(environment.emergency, scenario.name).toEqual(EMERGENCY);
      const label = `${producerOf(resource.issuer)!}#${sequence}`;
      const access = result.accesses.find((a) => a.subject === who && a.reading === label && a.emergency === (environment.emergency !== undefined));
      expect(access?.decision, scenario.name).toEqual(scenario.decision);
    }
  });

  test('a changed world is caught: after the contract ends, the contractor is refused and the run fails', async () => {
    const late = await runQuickstart({ clock: () => CONTRACT_END });
    expect(late.ok).toBe(false);
    expect(late.outcomes.filter((o) => !o.ok).map((o) => [o.step, o.actual])).toEqual([
      ['open contractor footfall#1041', 'denied, no key touched: outside-time-window'],
      ['open contractor footfall#1042', 'denied, no key touched: outside-time-window'],
    ]);
  });

  test('the CLI exits 0 when everything happened, 1 when not or when the scenario cannot run, 2 on a bad argument', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await main([], async () => ({ ok: true }))).toBe(0);
    expect(await main(['--keep'], async () => ({ ok: false }))).toBe(1);
    expect(await main([], async () => { throw new Error('no policy files'); })).toBe(1);
    expect(await main(['--verbose'], async () => ({ ok: true }))).toBe(2);
    expect(error).toHaveBeenCalledTimes(2);
  });
});
