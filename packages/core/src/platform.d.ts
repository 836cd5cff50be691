/**
 * The only platform globals `@ward/core` may touch (STYLE.md, convention 1).
 *
 * `@ward/core` compiles against the bare ES2022 library with no DOM or Node types, so any
 * other global (`process`, `Buffer`, `window`, `crypto.subtle`, `fetch`…) is a type error.
 * ESLint enforces the same for `node:*` imports. Add a global here only with a reason.
 */
export {};

declare global {
  /** CSPRNG present in every target runtime (browsers, Node ≥ 19, Deno, Bun, workers). */
  var crypto: {
    getRandomValues<T extends Uint8Array>(array: T): T;
  };

  /** UTF-8 encoder (WHATWG Encoding). */
  class TextEncoder {
    encode(input?: string): Uint8Array;
  }

  /** UTF-8 decoder (WHATWG Encoding); `fatal: true` rejects invalid UTF-8. */
  class TextDecoder {
    constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
    decode(input?: Uint8Array): string;
  }
}
