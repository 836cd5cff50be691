/*
 * Test and benchmark helper (not shipped): a private `redis-server` on a free loopback port,
 * persistence off. The Redis replay-store tests and the replay benchmark both start one.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A running private server. */
export interface PrivateRedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly process: ChildProcess;
  /** Kills it (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/**
 * Starts `redis-server` and resolves once it accepts connections; `undefined` when there is no
 * `redis-server` binary. Fails if the server exits before it is ready.
 *
 * @example
 * ```ts
 * const server = await startRedisServer();
 * if (server === undefined) throw new Error('install redis-server');
 * try { useRedis(server.url); } finally { await server.stop(); }
 * ```
 */
export async function startRedisServer(): Promise<PrivateRedisServer | undefined> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = await new Promise<boolean>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) done(true);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? done(false) : fail(error)));
    child.once('exit', (code) => fail(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
  });
  if (!ready) return undefined;
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    process: child,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
