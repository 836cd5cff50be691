/**
 * A stall detector. The main thread reports what it is about to run; when it reports nothing
 * for the time limit, a worker thread prints the last report to stderr and kills the process.
 * It runs on its own thread because a main thread stuck in native code (a deadlock inside
 * `node:crypto`, say) never runs a timer of its own again, and the run would hang silently.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';

/* CommonJS, evaluated in the worker. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
let doing = 'starting';
let timer;
function arm() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    writeSync(2, '\\nbench: no progress for ' + workerData.limitMs / 1000 + ' s while running ' + doing +
      '; the process is stuck (a hang or deadlock in the code under test). Killing it.\\n');
    process.kill(process.pid, 'SIGKILL');
  }, workerData.limitMs);
}
parentPort.on('message', (message) => { doing = message; arm(); });
arm();
`;

/** A running stall detector. */
export interface Watchdog {
  /** Reports progress: `doing` is what the main thread is about to run (printed if it stalls). */
  beat(doing: string): void;
  /** Stops the detector. */
  stop(): Promise<void>;
}

/**
 * Starts a stall detector.
 *
 * @param limitMs - how long the main thread may go without a {@link Watchdog.beat}
 */
export function startWatchdog(limitMs: number): Watchdog {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { limitMs } });
  /* Never what keeps the process alive. */
  worker.unref();
  return {
    beat: (doing) => worker.postMessage(doing),
    stop: async () => {
      await worker.terminate();
    },
  };
}
