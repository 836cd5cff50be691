/**
 * `@ward/core/city-policy`: Ward's default city policy (the city ABAC rules of `policies/` in
 * the repository, compiled by the pinned OPA to WebAssembly), inside the package, so a gateway,
 * a service or a browser app loads it without the repository. The bundle's bytes are in this
 * module itself (no `fs`, no asset URL): it works in Node (ESM and CommonJS) and in every
 * bundler, and only an application that imports this subpath carries its 70 KB.
 *
 * The same policy is in the package as plain files for tools that read files: the subpath
 * `@ward/core/city-policy/*` maps to the folder `city-policy/` of the package, which holds
 * `bundle.tar.gz`, `data.json`, `BUILD.json` (how it was built), `input.schema.json` and the
 * Rego sources under `ward/authz/` (for `opa eval`, `opa run` or a team's own fork).
 * Both copies are generated from `policies/dist` by `npm run policies:ship`, and
 * `npm run policies:check` fails when they differ from it.
 *
 * @example
 * ```ts
 * import { PolicyEngine, createNobleBackend, readPolicyBundle } from '@ward/core';
 * import { cityPolicyBundle } from '@ward/core/city-policy';
 *
 * const backend = createNobleBackend();
 * // Unsigned is sound here: the bytes come from the installed package, not from the network.
 * const bundle = await readPolicyBundle(cityPolicyBundle(), { backend, verification: { form: 'none' } });
 * const policy = await PolicyEngine.load(bundle, { backend });
 * ```
 *
 * @module @ward/core/city-policy
 */
import { decodeCanonicalBase64 } from '../bytes.js';
import { PolicyError } from '../errors.js';
import { deepFreeze } from '../freeze.js';
import { BUNDLE_BASE64, BUNDLE_BYTES, BUNDLE_SHA256, ENTRYPOINT, INPUT_SCHEMA, REVISION } from './bundle.js';

let decoded: Uint8Array | undefined;

/**
 * The city policy as an OPA bundle (`bundle.tar.gz`: `.manifest`, `data.json`, the Rego
 * sources and `policy.wasm`), ready for `readPolicyBundle()` and then `PolicyEngine.load()` or
 * `engine.activate()`. The bundle is unsigned: it is trusted as the package that holds it is.
 * Each call returns a new copy, so a caller that changes it changes nothing for the next.
 *
 * @returns the bundle bytes ({@link CITY_POLICY_BUNDLE_SHA256} is their SHA-256)
 * @throws {@link PolicyError} `ERR_POLICY_BUNDLE_INVALID` when the copy in the package is
 *   damaged (not the bytes it was generated from); never for an intact install
 * @example
 * ```ts
 * import { PolicyEngine, readPolicyBundle } from '@ward/core';
 * import { cityPolicyBundle } from '@ward/core/city-policy';
 * import { createNodeBackend } from '@ward/node';
 *
 * const backend = createNodeBackend();
 * const bundle = await readPolicyBundle(cityPolicyBundle(), { backend, verification: { form: 'none' } });
 * const policy = await PolicyEngine.load(bundle, { backend });
 * // openEnvelope() builds the resource from the envelope's verified facts; by hand it looks like this:
 * const { decision } = policy.decide({
 *   action: 'open',
 *   subject: { id: 'user:alice', roles: ['analyst'], purpose: 'planning' },
 *   resource: {
 *     issuer: 'footfall-counter-17', stream: 'footfall/market-square', issuedAt: 1795322502, sequence: '1041',
 *     id: '6f1c2a0e9d8b7a6f5e4d3c2b1a090807', signer: { kid: '1f6c9a2b3c4d5e6f', alg: -8 }, encryption: 'encrypt',
 *     attributes: { classification: 'internal', zone: 'market-square', purpose: ['planning'] },
 *   },
 *   environment: { time: 1795323102 },
 * });
 * decision.reasons; // [ 'allowed:analyst-internal' ]
 * ```
 */
export function cityPolicyBundle(): Uint8Array {
  if (decoded === undefined) {
    const bytes = decodeCanonicalBase64(BUNDLE_BASE64, 'base64');
    /* A damaged install (a truncated or edited module) is refused, never read as some other policy. */
    if (typeof bytes === 'string' || bytes.length !== BUNDLE_BYTES) {
      throw new PolicyError('ERR_POLICY_BUNDLE_INVALID', '@ward/core/city-policy: the bundle in this package is damaged; reinstall @ward/core');
    }
    decoded = bytes;
  }
  return decoded.slice();
}

/** The city policy bundle's revision (its manifest's `revision`, all digits, only ever grows). */
export const CITY_POLICY_REVISION: string = REVISION;

/** The rule the city policy decides at, which `PolicyEngine.load()` picks from the bundle's manifest. */
export const CITY_POLICY_ENTRYPOINT: string = ENTRYPOINT;

/** SHA-256 (lowercase hex) of {@link cityPolicyBundle}'s bytes, as `readPolicyBundle()` reports it in `digest` and decision logs record it. */
export const CITY_POLICY_BUNDLE_SHA256: string = BUNDLE_SHA256;

/**
 * The city policy's input contract as JSON Schema (draft-07; the decision it returns is
 * under `definitions/decision`), for a gateway that validates requests before it asks, or a
 * form that builds inputs. Deeply frozen. `PolicyEngine` enforces the engine's own input rules
 * whatever the schema says; the schema is what the city's Rego accepts.
 */
export const CITY_POLICY_INPUT_SCHEMA: Readonly<Record<string, unknown>> = deepFreeze(INPUT_SCHEMA as Record<string, unknown>);
