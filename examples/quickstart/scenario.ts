/**
 * The Ward quickstart: one street of a smart city, sealed end to end.
 *
 * Three producers (a footfall counter, an air-quality monitor, a CCTV incident camera) seal
 * readings to three reader groups; a verifier checks provenance with the trust store alone and
 * a replay window; the analysts' keyset is rotated between two rounds of readings; an analyst,
 * an emergency responder and a maintenance contractor try to open every reading under the
 * shipped city policy (`policies/dist`), the responder once more during a declared emergency;
 * and an auditor verifies the signed decision log. Nothing is mocked: every step calls the SDK.
 *
 * {@link runQuickstart} returns every outcome next to the one {@link EXPECTED} says must happen;
 * `main.ts` prints it and exits non-zero on any difference, `quickstart.test.ts` asserts it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Keyset, MemoryReplayStore, PolicyDeniedError, PolicyEngine, ReplayError, StoredKeyset, TrustStore, WardError, openEnvelope, readPolicyBundle, sealEnvelope,
  verifyEnvelope,
} from '@ward/core';
import type {
  AccessAttributes, CryptoBackend, KeysetKeyInfo, KeysetRecipientKey, Obligation, PolicyDecision, PolicyEnvironment,
  PolicySubject, RecipientSpec,
} from '@ward/core';
import {
  DEFAULT_KEYSTORE_SCRYPT, FileKeyStore, JsonLinesDecisionLog, createNodeBackend, verifyJsonLinesDecisionLog,
} from '@ward/node';

/* ----------------------------------------------------------------------------------------- */
/* The city: producers, reader groups, subjects (as registered in policies/data.json).        */
/* ----------------------------------------------------------------------------------------- */

/** The quickstart's producers. */
export type ProducerName = 'footfall' | 'air' | 'cctv';
/** The reader groups, each with a recipient keyset. */
export type GroupName = 'analysts' | 'responders' | 'maintenance';
/** The quickstart's readers. */
export type SubjectName = 'analyst' | 'responder' | 'contractor';

/** A simulated city producer. */
export interface Producer {
  /** The issuer the producer signs as, and the name its key is trusted under. */
  readonly issuer: string;
  /** The stream (CWT `sub`). */
  readonly stream: string;
  readonly attributes: AccessAttributes;
  /** Its readings, in sequence order: [sequence number, JSON payload]. */
  readonly readings: readonly (readonly [number, Record<string, unknown>])[];
}

/** The producers registered in `policies/data.json`, with the attributes `policies/examples/scenarios.json` uses. */
export const PRODUCERS: Readonly<Record<ProducerName, Producer>> = {
  footfall: {
    issuer: 'footfall-counter-17',
    stream: 'footfall/market-square',
    attributes: {
      classification: 'internal',
      zone: 'market-square',
      purpose: ['planning', 'operations', 'maintenance', 'emergency-response'],
    },
    readings: [
      [1041, { count: 42, interval: '14:00/14:05', direction: 'in' }],
      [1042, { count: 57, interval: '14:05/14:10', direction: 'in' }],
    ],
  },
  air: {
    issuer: 'aq-monitor-5',
    stream: 'air-quality/market-square',
    attributes: { classification: 'public', zone: 'market-square' },
    readings: [
      [7, { pm2_5: 7.1, no2: 18, unit: 'ug/m3' }],
      [8, { pm2_5: 9.4, no2: 21, unit: 'ug/m3' }],
    ],
  },
  cctv: {
    issuer: 'cctv-12',
    stream: 'incidents/market-square',
    attributes: {
      classification: 'special-category',
      zone: 'market-square',
      purpose: ['public-safety', 'emergency-response'],
      owner: 'cctv-office',
      retention: 2_592_000, // 30 days; the policy caps special-category data at 31
    },
    readings: [
      [77, { event: 'person-fallen', camera: 'north-entrance', clip: 'cctv-office/clips/77.mp4' }],
      [78, { event: 'ambulance-arrived', camera: 'north-entrance', clip: 'cctv-office/clips/78.mp4' }],
    ],
  },
};

const GROUPS: readonly GroupName[] = ['analysts', 'responders', 'maintenance'];

/** A reader: who asks (the policy's subject), and the keyset their service holds. */
export interface Reader {
  readonly subject: PolicySubject;
  /** The reader group whose keyset this subject's service holds. */
  readonly group: GroupName;
}

/** The quickstart's readers, exactly as in `policies/examples/scenarios.json`. */
export const READERS: Readonly<Record<SubjectName, Reader>> = {
  analyst: { group: 'analysts', subject: { id: 'user:alice', roles: ['analyst'], purpose: 'planning' } },
  responder: {
    group: 'responders',
    subject: { id: 'responder:fire-7', roles: ['emergency-services'], purpose: 'emergency-response', zones: ['market-square'] },
  },
  contractor: {
    group: 'maintenance',
    subject: {
      id: 'contractor:metromaint:ravi',
      roles: ['maintenance-contractor'],
      purpose: 'maintenance',
      zones: ['market-square', 'harbour'],
      organisation: 'MetroMaint Services',
    },
  },
};

/** The incident the city declares in step 6. */
export const EMERGENCY = { declared: true, incident: 'INC-2026-1142' } as const;
/** The gateway that runs the policy and signs the decision log. */
const GATEWAY = 'ward-gateway';

/* ----------------------------------------------------------------------------------------- */
/* What must happen.                                                                          */
/* ----------------------------------------------------------------------------------------- */

/**
 * Every outcome the quickstart must produce, by step. The open decisions are those of
 * `policies/examples/scenarios.json` (the quickstart's 3 readers × 3 readings, and the
 * responder during a declared emergency); `quickstart.test.ts` checks that they agree.
 * "key" is the reader key that opened the reading: the analysts' first key (decrypt-only after
 * the rotation) opens the first round, their second key the second; a denial touches no key.
 */
export const EXPECTED: ReadonlyMap<string, string> = new Map<string, string>([
  /* Provenance: the verifier has the trust store and a replay window, no decryption key. */
  ['verify footfall#1041', 'verified footfall-counter-17 footfall/market-square #1041 internal, fresh'],
  ['verify air#7', 'verified aq-monitor-5 air-quality/market-square #7 public, fresh'],
  ['verify cctv#77', 'verified cctv-12 incidents/market-square #77 special-category, fresh'],
  ['replay footfall#1041', 'refused ERR_REPLAY_DUPLICATE'],
  ['rotate analysts', 'saved before sealing: key 1 decrypt-only, key 2 active (primary)'],
  ['verify footfall#1042', 'verified footfall-counter-17 footfall/market-square #1042 internal, fresh'],
  ['verify air#8', 'verified aq-monitor-5 air-quality/market-square #8 public, fresh'],
  ['verify cctv#78', 'verified cctv-12 incidents/market-square #78 special-category, fresh'],
  ['keystore reopened', 'analysts: key 1 decrypt-only, key 2 active; responders: key 1 active; maintenance: key 1 active'],
  /* Access under the shipped policy, no emergency. */
  ['open analyst footfall#1041', 'allowed with analysts key 1: allowed:analyst-internal'],
  ['open analyst air#7', 'allowed with analysts key 1: allowed:public'],
  ['open analyst cctv#77', 'denied, no key touched: classification-not-permitted, purpose-not-permitted'],
  ['open analyst footfall#1042', 'allowed with analysts key 2: allowed:analyst-internal'],
  ['open analyst air#8', 'allowed with analysts key 2: allowed:public'],
  ['open analyst cctv#78', 'denied, no key touched: classification-not-permitted, purpose-not-permitted'],
  ['open responder footfall#1041', 'allowed with responders key 1: allowed:emergency-services-internal'],
  ['open responder air#7', 'allowed with responders key 1: allowed:public'],
  ['open responder cctv#77', 'denied, no key touched: break-glass-without-emergency'],
  ['open responder footfall#1042', 'allowed with responders key 1: allowed:emergency-services-internal'],
  ['open responder air#8', 'allowed with responders key 1: allowed:public'],
  ['open responder cctv#78', 'denied, no key touched: break-glass-without-emergency'],
  ['open contractor footfall#1041', 'allowed with maintenance key 1: allowed:maintenance-contractor-internal'],
  ['open contractor air#7', 'allowed with maintenance key 1: allowed:public'],
  ['open contractor cctv#77', 'denied, no key touched: classification-not-permitted, purpose-not-permitted'],
  ['open contractor footfall#1042', 'allowed with maintenance key 1: allowed:maintenance-contractor-internal'],
  ['open contractor air#8', 'allowed with maintenance key 1: allowed:public'],
  ['open contractor cctv#78', 'denied, no key touched: classification-not-permitted, purpose-not-permitted'],
  /* Break-glass: the same responder while INC-2026-1142 is declared. */
  ['open responder cctv#77 (emergency)',
    'allowed with responders key 1: allowed:emergency-services-break-glass; obligations notify cctv-office, notify city-security-desk, log'],
  ['open responder cctv#78 (emergency)',
    'allowed with responders key 1: allowed:emergency-services-break-glass; obligations notify cctv-office, notify city-security-desk, log'],
  ['notifications', '4 sent: cctv-office (cctv#77), city-security-desk (cctv#77), cctv-office (cctv#78), city-security-desk (cctv#78)'],
  /* Audit. */
  ['decision log', '20 records, signed by ward-gateway, hash-chained, verified; 2 with a log obligation'],
]);

/* ----------------------------------------------------------------------------------------- */
/* Results.                                                                                   */
/* ----------------------------------------------------------------------------------------- */

/** One step's outcome, next to what {@link EXPECTED} says. */
export interface Outcome {
  readonly step: string;
  readonly expected: string | undefined;
  readonly actual: string;
  readonly ok: boolean;
}

/** One policy-gated open, as the access table shows it. */
export interface Access {
  readonly subject: SubjectName;
  readonly subjectId: string;
  readonly reading: string;
  readonly emergency: boolean;
  /** The policy's decision (also on a denial). */
  readonly decision: PolicyDecision | undefined;
  /** The reader key that opened it (`undefined`: none was touched). */
  readonly key: string | undefined;
  /** The released payload (JSON text), after any redaction. */
  readonly plaintext: string | undefined;
  /** Fields a `redact` obligation removed. */
  readonly redacted: readonly string[];
  /** A failure other than a policy denial (code), if any. */
  readonly error: string | undefined;
}

/** A `notify` obligation delivered by the gateway. */
export interface Notification {
  readonly to: string;
  readonly reading: string;
  readonly subjectId: string;
  readonly incident: string | undefined;
  /** What the recipient was told. */
  readonly message: string;
}

/** What {@link runQuickstart} returns. */
export interface QuickstartResult {
  /** Every step's outcome, in order; steps of {@link EXPECTED} that never ran are included as failures. */
  readonly outcomes: readonly Outcome[];
  /** Whether every expected outcome happened, and nothing unexpected. */
  readonly ok: boolean;
  readonly accesses: readonly Access[];
  readonly notifications: readonly Notification[];
  readonly decisionLog: { readonly count: number; readonly authenticated: boolean; readonly chained: boolean };
  /** The policy revision that decided. */
  readonly revision: string;
  /** Wall time, milliseconds. */
  readonly elapsedMs: number;
}

/** Options of {@link runQuickstart}. */
export interface QuickstartOptions {
  /** Where the narration goes, line by line; default nowhere. */
  readonly print?: (line: string) => void;
  /** The city's clock, seconds since the epoch; default the system clock. */
  readonly clock?: () => number;
  /** Keep the working directory (keystore, decision log) instead of removing it. */
  readonly keep?: boolean;
  /** The backend; default `createNodeBackend()`. */
  readonly backend?: CryptoBackend;
}

/* ----------------------------------------------------------------------------------------- */
/* Helpers.                                                                                   */
/* ----------------------------------------------------------------------------------------- */

const te = new TextEncoder();
const td = new TextDecoder();
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const short = (bytes: Uint8Array): string => `${hex(bytes).slice(0, 8)}…`;
const POLICY_DIST = fileURLToPath(new URL('../../policies/dist/', import.meta.url));

/** `code` of a WardError (`ERR_…`), else the message. */
function errorText(error: unknown): string {
  if (WardError.isInstance(error)) return error.code;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function obligationText(obligation: Obligation): string {
  switch (obligation.type) {
    case 'notify':
      return `notify ${obligation.to}`;
    case 'redact':
      return `redact ${obligation.fields.join(', ')}`;
    default:
      return obligation.type;
  }
}

/** Aligned columns, two spaces apart, the last column left ragged. */
function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

function keyStates(keyset: Keyset): string {
  return keyset.keys().map((info, i) => `key ${i + 1} ${info.state}${info.primary ? ' (primary)' : ''}`).join(', ');
}

/** What a reader's key resolver was asked: whether at all, and which key it handed out. */
interface KeyUse {
  asked: boolean;
  kid?: Uint8Array;
}

/** A recipient resolver that remembers whether it was asked for a key, and which it handed out. */
function watched(resolver: KeysetRecipientKey, touched: KeyUse): KeysetRecipientKey {
  return async (lookup) => {
    touched.asked = true;
    const key = await resolver(lookup);
    if (key?.kid !== undefined) touched.kid = key.kid;
    return key;
  };
}

interface SealedReading {
  readonly label: string;
  readonly producer: ProducerName;
  readonly sequence: number;
  readonly envelope: Uint8Array;
  readonly payload: string;
}

/* ----------------------------------------------------------------------------------------- */
/* The scenario.                                                                              */
/* ----------------------------------------------------------------------------------------- */

/**
 * Runs the quickstart once, in a fresh temporary directory, and compares every outcome with
 * {@link EXPECTED}. It throws only when the scenario cannot run at all (no policy files, no
 * temporary directory); every expected refusal is an outcome, and so is an unexpected one.
 *
 * @param options - narration sink, clock, keep the working directory, backend
 * @returns the outcomes, the accesses, the notifications and the decision log's verification
 */
export async function runQuickstart(options: QuickstartOptions = {}): Promise<QuickstartResult> {
  const started = performance.now();
  const print = options.print ?? (() => undefined);
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  const backend = options.backend ?? createNodeBackend();
  const outcomes: Outcome[] = [];
  const record = (step: string, actual: string): Outcome => {
    const expected = EXPECTED.get(step);
    const outcome = { step, expected, actual, ok: expected === actual };
    outcomes.push(outcome);
    return outcome;
  };
  const mark = (outcome: Outcome): string => (outcome.ok ? '' : `   <-- UNEXPECTED (expected: ${outcome.expected ?? 'no such step'})`);

  /*
   * The shipped policy: the OPA bundle in policies/dist, built from the Rego by `npm run
   * policies:build`. It is committed unsigned, so it is read with an explicit `form: 'none'`; a
   * bundle fetched over a network would be verified against a trusted policy-signing key.
   */
  const bundle = await readPolicyBundle(new Uint8Array(await readFile(join(POLICY_DIST, 'bundle.tar.gz'))), {
    backend,
    verification: { form: 'none' },
  });
  const engine = await PolicyEngine.load(bundle, { backend });
  const opaVersion = (bundle.manifest.metadata?.ward as { opa_version?: unknown } | undefined)?.opa_version;

  const dir = await mkdtemp(join(tmpdir(), 'ward-quickstart-'));
  let log: JsonLinesDecisionLog | undefined;
  try {
    print('Ward quickstart: one street of a smart city, sealed end to end');
    print(`  policy     policies/dist/bundle.tar.gz: ward/authz/decision, revision ${bundle.revision}`
      + `${typeof opaVersion === 'string' ? `, OPA ${opaVersion}` : ''}`
      + `, ${bundle.signature.form === 'none' ? 'unsigned' : `signed (${bundle.signature.form})`}; run as WebAssembly`);
    print(`  city time  ${new Date(clock() * 1000).toISOString().replace('.000Z', 'Z')}`);
    print(`  work dir   ${dir}${options.keep === true ? ' (kept)' : ' (removed at the end)'}`);

    /* ---- 1. Set-up: keys, trust, the decision log. ---- */
    print('');
    print('1. Set-up');
    const trust = new TrustStore({ backend, now: clock });
    const signers = {} as Record<ProducerName, Keyset>;
    const producerLines: string[][] = [];
    for (const name of Object.keys(PRODUCERS) as ProducerName[]) {
      const producer = PRODUCERS[name];
      const keyset = await Keyset.generate(backend, { purpose: 'sign', now: clock });
      for (const key of await keyset.publicKeys()) await trust.add({ key, issuer: producer.issuer, roles: ['producer'] });
      signers[name] = keyset;
      producerLines.push([producer.issuer, `Ed25519 ${short(keyset.primaryKid!)}`, producer.stream, String(producer.attributes.classification)]);
    }
    print('  producers (signing keysets; their public keys go into the city trust store as "producer"):');
    for (const line of table(producerLines, '    ')) print(line);

    /* The readers' keysets live in an encrypted keystore file (scrypt, then AES-256-GCM). */
    const passphrase = crypto.getRandomValues(new Uint8Array(32));
    const keystorePath = join(dir, 'readers.ward');
    let t = performance.now();
    const keystore = await FileKeyStore.create(keystorePath, { passphrase, backend });
    /* StoredKeysets: a key is in readers.ward before it seals anything, and use counts survive a crash. */
    const groups = {} as Record<GroupName, StoredKeyset>;
    for (const group of GROUPS) {
      groups[group] = await StoredKeyset.create(keystore, group, await Keyset.generate(backend, { purpose: 'recipient', now: clock }));
    }
    const { N, r, p } = DEFAULT_KEYSTORE_SCRYPT;
    print(`  reader keysets (X25519) ${GROUPS.join(', ')} -> FileKeyStore readers.ward`
      + ` (scrypt N=2^${Math.log2(N)} r=${r} p=${p}, created in ${((performance.now() - t) / 1000).toFixed(2)} s)`);

    /* The gateway that runs the policy signs every decision record; auditors trust its key for that. */
    const gateway = await Keyset.generate(backend, { purpose: 'sign', now: clock });
    for (const key of await gateway.publicKeys()) await trust.add({ key, issuer: GATEWAY, roles: ['decision-log'] });
    const logPath = join(dir, 'decisions.jsonl');
    log = await JsonLinesDecisionLog.open(logPath, { sign: { backend, signer: gateway.signer(), issuer: GATEWAY } });
    print(`  decision log decisions.jsonl: every decision, signed by ${GATEWAY} (trusted as "decision-log"), hash-chained`);

    /* ---- 2. Producers seal; the verifier checks provenance. ---- */
    const readings = new Map<string, SealedReading>();
    const sealRound = async (round: number): Promise<SealedReading[]> => {
      const recipients: RecipientSpec[] = [];
      for (const group of GROUPS) recipients.push(await groups[group].recipient());
      const sealed: SealedReading[] = [];
      for (const name of Object.keys(PRODUCERS) as ProducerName[]) {
        const producer = PRODUCERS[name];
        const [sequence, body] = producer.readings[round]!;
        const payload = JSON.stringify(body);
        const envelope = await sealEnvelope(te.encode(payload), {
          backend,
          signer: signers[name].signer(),
          recipients,
          claims: { issuer: producer.issuer, subject: producer.stream, sequence, issuedAt: clock() },
          attributes: producer.attributes,
        });
        const reading = { label: `${name}#${sequence}`, producer: name, sequence, envelope, payload };
        readings.set(reading.label, reading);
        sealed.push(reading);
      }
      return sealed;
    };
    const printSealed = (sealed: readonly SealedReading[]): void => {
      for (const line of table(sealed.map((s) => [s.label, `${s.envelope.length}-byte envelope`, s.payload]))) print(line);
    };

    /* The verifier: the trust store and a replay window, no decryption key at all. */
    const replay = { store: new MemoryReplayStore({ now: clock }) };
    const verifyAll = async (sealed: readonly SealedReading[]): Promise<void> => {
      const lines: string[][] = [];
      const marks: string[] = [];
      for (const reading of sealed) {
        let actual: string;
        try {
          const facts = await verifyEnvelope(reading.envelope, { backend, trust: trust.keySource(), replay });
          const { issuer, subject, sequence } = facts.provenance;
          actual = `verified ${issuer} ${subject} #${sequence} ${facts.attributes.classification}, ${facts.freshness?.status ?? 'unchecked'}`;
          lines.push([reading.label, 'verified', issuer, subject, `#${sequence}`, String(facts.attributes.classification),
            `signer ${short(facts.signer.kid)}`, facts.freshness?.status ?? 'unchecked']);
        } catch (error) {
          actual = `refused ${errorText(error)}`;
          lines.push([reading.label, actual]);
        }
        marks.push(mark(record(`verify ${reading.label}`, actual)));
      }
      table(lines, '    ').forEach((line, i) => print(line + marks[i]));
    };

    print('');
    print('2. Producers seal round 1 (each reading to analysts, responders and maintenance)');
    const round1 = await sealRound(0);
    printSealed(round1);
    print('  provenance service (trust store + replay window, no decryption key):');
    await verifyAll(round1);

    /* The network delivers one envelope a second time. */
    const again = readings.get('footfall#1041')!;
    let replayed: string;
    let why = '';
    try {
      await verifyEnvelope(again.envelope, { backend, trust: trust.keySource(), replay });
      replayed = 'accepted';
    } catch (error) {
      replayed = `refused ${errorText(error)}`;
      if (ReplayError.isInstance(error)) why = ` (${error.message})`;
    }
    const replayOutcome = record('replay footfall#1041', replayed);
    print(`    footfall#1041 delivered a second time -> ${replayed}${why}${mark(replayOutcome)}`);

    /* ---- 3. Rotation of the analysts' keyset, saved before anything is sealed to the new key. ---- */
    print('');
    print('3. Key rotation: the analysts\' keyset');
    const oldKid = groups.analysts.keyset.primaryKid!;
    const next = await groups.analysts.rotate(); // saved to readers.ward before it resolves
    const rotation = record('rotate analysts', `saved before sealing: ${keyStates(groups.analysts.keyset)}`);
    print(`  analysts key 1 ${short(oldKid)} -> decrypt-only; new primary key 2 ${short(next.kid)}; saved to readers.ward${mark(rotation)}`);
    print('  round 1 stays readable with key 1; round 2 is sealed to key 2 (see "opened with" in step 5)');

    print('');
    print('4. Producers seal round 2 (to the analysts\' new key 2)');
    const round2 = await sealRound(1);
    printSealed(round2);
    print('  provenance service:');
    await verifyAll(round2);

    /* ---- 5. Readers open under the policy. ---- */
    print('');
    print('5. Readers open every reading under the shipped policy');
    /* Each reader service unlocks the keystore file and loads its group's keyset, as saved. */
    t = performance.now();
    const readerStore = await FileKeyStore.open(keystorePath, { passphrase, backend });
    const loaded = {} as Record<GroupName, Keyset>;
    const labels = new Map<string, string>();
    for (const group of GROUPS) {
      const keyset = await readerStore.load(group);
      if (keyset === undefined) throw new Error(`the keystore lost the ${group} keyset`);
      loaded[group] = keyset;
      keyset.keys().forEach((info: KeysetKeyInfo, i) => labels.set(hex(info.kid), `${group} key ${i + 1}`));
    }
    const reopened = record('keystore reopened', GROUPS.map((group) => `${group}: ${keyStates(loaded[group]).replace(' (primary)', '')}`).join('; '));
    print(`  readers.ward unlocked in ${((performance.now() - t) / 1000).toFixed(2)} s: ${reopened.actual}${mark(reopened)}`);

    const accesses: Access[] = [];
    const notifications: Notification[] = [];
    const attempt = async (who: SubjectName, label: string, environment: PolicyEnvironment): Promise<Access> => {
      const reader = READERS[who];
      const reading = readings.get(label)!;
      const touched: KeyUse = { asked: false };
      const keyOf = (): string | undefined => {
        if (touched.kid !== undefined) return labels.get(hex(touched.kid)) ?? `key ${short(touched.kid)}`;
        return touched.asked ? 'looked up, none held' : undefined;
      };
      const base = { subject: who, subjectId: reader.subject.id, reading: label, emergency: environment.emergency !== undefined };
      let access: Access;
      try {
        const opened = await openEnvelope(reading.envelope, {
          backend,
          trust: trust.keySource(),
          recipient: watched(loaded[reader.group].recipientKey(), touched),
          policy: engine,
          subject: reader.subject,
          environment,
          decisionLog: log!,
          notify: (obligation, { facts }) => {
            /* Delivered last, once every other check passed; a failing notifier would refuse the open. */
            notifications.push({
              to: obligation.to,
              reading: label,
              subjectId: reader.subject.id,
              incident: environment.emergency?.incident,
              message: `${reader.subject.id} opens ${facts.provenance.issuer} ${facts.provenance.subject} #${facts.provenance.sequence}`
                + ` (${facts.attributes.classification}) under ${environment.emergency?.incident ?? 'no declared incident'}`,
            });
          },
        });
        const redacted = opened.decision?.obligations.flatMap((o) => (o.type === 'redact' ? o.fields : [])) ?? [];
        access = { ...base, decision: opened.decision, key: keyOf(), plaintext: td.decode(opened.plaintext), redacted, error: undefined };
      } catch (error) {
        const decision = PolicyDeniedError.isInstance(error) ? (error as PolicyDeniedError).decision : undefined;
        access = {
          ...base, decision, key: keyOf(), plaintext: undefined, redacted: [],
          error: decision === undefined ? errorText(error) : undefined,
        };
      }
      accesses.push(access);
      return access;
    };

    /* The outcome compared with EXPECTED. */
    const describe = (access: Access, payload: string): string => {
      if (access.error !== undefined) return `failed ${access.error}`;
      const decision = access.decision!;
      const reasons = decision.reasons.join(', ');
      if (!decision.allow) return `denied, ${access.key === undefined ? 'no key touched' : `yet ${access.key} touched`}: ${reasons}`;
      /* An allow releases exactly the sealed payload, minus any redacted fields. */
      if (access.redacted.length === 0 && access.plaintext !== payload) return 'allowed, but the payload differs from what was sealed';
      const obligations = decision.obligations.length === 0 ? '' : `; obligations ${decision.obligations.map(obligationText).join(', ')}`;
      return `allowed with ${access.key ?? 'no key?'}: ${reasons}${obligations}`;
    };

    /* One row per open: decision, the key that opened it (none on a denial), the policy's reasons. */
    const accessRow = (access: Access): string[] => {
      const decision = access.decision;
      const obligations = decision?.obligations.map(obligationText).join(', ') ?? '';
      return [
        access.reading,
        access.error !== undefined ? 'FAILED' : decision?.allow === true ? 'allowed' : 'DENIED',
        access.key ?? 'no key touched',
        (access.error ?? decision?.reasons.join(', ') ?? '') + (obligations === '' ? '' : `; obligations: ${obligations}`),
      ];
    };
    const printAccesses = (list: readonly Access[], steps: readonly string[]): void => {
      const marks = list.map((access, i) => mark(record(steps[i]!, describe(access, readings.get(access.reading)!.payload))));
      table(list.map(accessRow), '    ').forEach((line, i) => print(line + marks[i]));
    };
    for (const who of Object.keys(READERS) as SubjectName[]) {
      const { subject, group } = READERS[who];
      const where = subject.zones === undefined ? '' : `, zones ${subject.zones.join('+')}`;
      const org = subject.organisation === undefined ? '' : `, ${subject.organisation}`;
      print(`  ${who} ${subject.id} (role ${subject.roles.join('+')}, purpose ${subject.purpose}${where}${org}; ${group} keyset)`);
      const list: Access[] = [];
      for (const label of readings.keys()) list.push(await attempt(who, label, { time: clock() }));
      printAccesses(list, list.map((access) => `open ${who} ${access.reading}`));
    }
    const allowed = accesses.filter((a) => a.decision?.allow === true);
    const intact = allowed.filter((a) => a.redacted.length === 0 && a.plaintext === readings.get(a.reading)!.payload).length;
    const untouched = accesses.filter((a) => a.decision?.allow === false && a.key === undefined).length;
    print(`  ${intact} of ${allowed.length} allowed opens released exactly the sealed payload;`
      + ` ${untouched} of ${accesses.length - allowed.length} denials were decided before any key was touched`);

    print('');
    print(`6. Emergency ${EMERGENCY.incident} declared at market-square: the responder retries the CCTV incidents (break-glass)`);
    const glass: Access[] = [];
    for (const label of ['cctv#77', 'cctv#78']) glass.push(await attempt('responder', label, { time: clock(), emergency: EMERGENCY }));
    print(`  responder ${READERS.responder.subject.id}, environment.emergency = ${JSON.stringify(EMERGENCY)}`);
    printAccesses(glass, glass.map((access) => `open responder ${access.reading} (emergency)`));
    const sent = record('notifications', `${notifications.length} sent: ${notifications.map((n) => `${n.to} (${n.reading})`).join(', ')}`);
    print(`  notify obligations, delivered once every other check had passed:${mark(sent)}`);
    for (const line of table(notifications.map((n) => [`-> ${n.to}`, n.message]), '    ')) print(line);
    print('  log obligations: met by the decision log (checked in step 7); without a log configured these opens are refused');
    const redactions = accesses.filter((a) => a.redacted.length > 0);
    print(`  redactions: ${redactions.length === 0 ? 'none (the policy redacts personal data for analysts; no reading here is personal)' : redactions.map((a) => `${a.reading} for ${a.subject}: ${a.redacted.join(', ')}`).join('; ')}`);

    /* ---- 7. Audit. ---- */
    print('');
    print('7. Audit: the decision log, verified line by line against the trust store');
    await log.close();
    log = undefined;
    let audit = { count: 0, authenticated: false, chained: false };
    let audited: string;
    try {
      const verified = await verifyJsonLinesDecisionLog(logPath, { backend, trust: trust.keySource('decision-log') });
      audit = { count: verified.count, authenticated: verified.authenticated, chained: verified.chained };
      const logged = verified.records.filter((r) => r.decision.obligations.some((o) => o.type === 'log')).length;
      audited = `${verified.count} records, `
        + `${verified.authenticated ? `signed by ${GATEWAY}` : 'NOT authenticated'}, ${verified.chained ? 'hash-chained' : 'NOT chained'}, verified; `
        + `${logged} with a log obligation`;
    } catch (error) {
      audited = `refused ${errorText(error)}`;
    }
    const auditOutcome = record('decision log', audited);
    print(`  decisions.jsonl: ${audited} (one record per policy-gated open: ${accesses.length})${mark(auditOutcome)}`);

    /* ---- Expected outcomes. ---- */
    for (const [step, expected] of EXPECTED) {
      if (!outcomes.some((o) => o.step === step)) outcomes.push({ step, expected, actual: 'did not run', ok: false });
    }
    const failed = outcomes.filter((o) => !o.ok);
    const elapsedMs = performance.now() - started;
    print('');
    if (failed.length === 0) {
      print(`All ${outcomes.length} expected outcomes happened (${(elapsedMs / 1000).toFixed(1)} s).`);
    } else {
      print(`${failed.length} of ${outcomes.length} outcomes differ from what is expected:`);
      for (const o of failed) print(`  ${o.step}\n    expected: ${o.expected ?? '(not an expected step)'}\n    actual:   ${o.actual}`);
    }
    return {
      outcomes, ok: failed.length === 0, accesses, notifications, decisionLog: audit, revision: bundle.revision, elapsedMs,
    };
  } finally {
    await log?.close().catch(() => undefined);
    if (options.keep !== true) await rm(dir, { recursive: true, force: true });
  }
}
