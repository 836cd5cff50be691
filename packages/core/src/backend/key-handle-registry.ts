/*
 * KeyHandleRegistry: how a backend maps the opaque key handles it hands out to the key material
 * it keeps, so that no handle carries material and a handle from another backend instance, or
 * one used for the wrong algorithm or kind, is refused.
 */
import { ArgumentError, KeyError } from '../errors.js';
import type { KeyAlgorithm, KeyHandle, KeyKind } from './crypto-backend.js';
import { notAKeyHandle } from './validate.js';

/*
 * Handles share one prototype whose toString()/toJSON() print metadata only. The material is
 * not on the object at all (it lives in the registry's WeakMap), so no serialiser, logger or
 * inspector can reach it through the handle.
 */
const HANDLE_PROTOTYPE = Object.freeze({
  toString(this: KeyHandle): string {
    return `KeyHandle(${this.algorithm} ${this.kind}, backend ${this.backend})`;
  },
  toJSON(this: KeyHandle): Record<string, unknown> {
    return { algorithm: this.algorithm, kind: this.kind, backend: this.backend, extractable: this.extractable, size: this.size };
  },
});

/**
 * Maps opaque {@link KeyHandle}s to the key material a backend keeps for them. Backend authors
 * use one registry per backend instance; a handle created by another registry is refused with
 * `ERR_KEY_FOREIGN`, and a handle used for the wrong algorithm or kind with `ERR_KEY_USAGE`.
 *
 * @typeParam M - the backend's own representation of key material (bytes, `KeyObject`, …)
 *
 * @example
 * ```ts
 * const registry = new KeyHandleRegistry<Uint8Array>('my-backend');
 * const handle = registry.create('HMAC-SHA256', 'secret', keyBytes, { extractable: false });
 * const bytes = registry.material(handle, ['HMAC-SHA256'], 'secret');
 * ```
 */
export class KeyHandleRegistry<M> {
  readonly #backend: string;
  readonly #material = new WeakMap<object, M>();
  readonly #destroyed = new WeakSet<object>();

  /** @param backend - the owning backend's name, recorded in every handle */
  constructor(backend: string) {
    this.#backend = backend;
  }

  /**
   * Creates a frozen handle for `material`.
   *
   * @param algorithm - the one algorithm the key is for
   * @param kind - private, public or secret
   * @param material - what the backend needs to use the key
   * @param options - `extractable`: may the backend export it; `size`: key size in bytes
   *   (required for secret keys; asymmetric keys are always 32)
   * @returns the handle
   * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` when a secret key has no valid size
   * @example
   * ```ts
   * const handle = registry.create('Ed25519', 'public', rawPublicKey, { extractable: true });
   * const secret = registry.create('AES-GCM', 'secret', rawKey, { extractable: false, size: rawKey.length });
   * ```
   */
  create<A extends KeyAlgorithm, K extends KeyKind>(
    algorithm: A,
    kind: K,
    material: M,
    options: { readonly extractable: boolean; readonly size?: number },
  ): KeyHandle<A, K> {
    const size = kind === 'secret' ? options.size : 32;
    if (size === undefined || !Number.isSafeInteger(size) || size <= 0) throw new ArgumentError('a secret key handle needs its size');
    const handle = Object.create(HANDLE_PROTOTYPE, {
      algorithm: { value: algorithm, enumerable: true },
      kind: { value: kind, enumerable: true },
      backend: { value: this.#backend, enumerable: true },
      extractable: { value: kind === 'public' ? true : options.extractable, enumerable: true },
      size: { value: size, enumerable: true },
    }) as KeyHandle<A, K>;
    Object.freeze(handle);
    this.#material.set(handle, material);
    return handle;
  }

  /**
   * The material behind `handle`, after checking that this registry created it and that it is
   * for one of `algorithms` and of `kind`.
   *
   * @param handle - a handle passed in by a caller (untrusted)
   * @param algorithms - the algorithms the operation accepts
   * @param kind - the kind the operation needs
   * @returns the backend's material
   * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` when `handle` is not a key handle (raw
   *   bytes, a COSE_Key, a keyset…), naming the call that makes one
   * @throws `KeyError` `ERR_KEY_FOREIGN` for another backend's handle, `ERR_KEY_USAGE`
   *   for the wrong algorithm or kind
   * @example
   * ```ts
   * const secret = registry.material(key, ['AES-GCM', 'ChaCha20-Poly1305'], 'secret');
   * ```
   */
  material(handle: unknown, algorithms: readonly KeyAlgorithm[], kind: KeyKind): M {
    if (typeof handle !== 'object' || handle === null) throw new ArgumentError(`the key ${notAKeyHandle(handle)!}`);
    const material = this.#material.get(handle);
    if (material === undefined) {
      if (this.#destroyed.has(handle)) throw new KeyError('ERR_KEY_DESTROYED', `this ${(handle as KeyHandle).algorithm} key was destroyed`);
      const problem = notAKeyHandle(handle);
      if (problem !== undefined) throw new ArgumentError(`the key ${problem}`);
      throw new KeyError('ERR_KEY_FOREIGN', `key handle does not belong to the ${this.#backend} backend`);
    }
    const { algorithm, kind: actualKind } = handle as KeyHandle;
    /* Precondition: a key is used only for the one algorithm and role it was created for. */
    if (!algorithms.includes(algorithm) || actualKind !== kind) {
      throw new KeyError('ERR_KEY_USAGE', `a ${algorithm} ${actualKind} key cannot be used here (needs ${algorithms.join(' or ')} ${kind})`);
    }
    return material;
  }

  /**
   * Destroys the key behind `handle`: passes its material to `wipe` (to overwrite what can be
   * overwritten), forgets it, and from then on refuses the handle with `ERR_KEY_DESTROYED`.
   * Destroying a destroyed handle does nothing.
   *
   * @param handle - a handle passed in by a caller (untrusted)
   * @param wipe - erases the material in place, where the representation allows it
   * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` when `handle` is not a key handle
   * @throws `KeyError` `ERR_KEY_FOREIGN` for another backend's handle
   * @example
   * ```ts
   * registry.destroy(handle, (bytes) => bytes.fill(0));
   * ```
   */
  destroy(handle: unknown, wipe?: (material: M) => void): void {
    if (typeof handle !== 'object' || handle === null) throw new ArgumentError('expected a key handle');
    if (this.#destroyed.has(handle)) return;
    const material = this.#material.get(handle);
    if (material === undefined) throw new KeyError('ERR_KEY_FOREIGN', `key handle does not belong to the ${this.#backend} backend`);
    this.#material.delete(handle);
    this.#destroyed.add(handle);
    wipe?.(material);
  }
}
