import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realClock, type Clock } from '../runtime/clock.js';
import type { SimRequest, SimResponse } from './simResponse.js';
import { createSimulatorCore } from './simulatorCore.js';
import type { SimulatorOptions } from './simulatorOptions.js';
import type { SimulatorStats } from './simulatorStats.js';

/** Options of the HTTP simulator: the simulator's knobs plus where to listen. */
export type StartSimulatorOptions = SimulatorOptions & {
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /**
   * Time for token expiry, rate limits and outages. Default the wall clock. Latency and
   * trickling always use real timers: this adapter is a real network component.
   */
  readonly clock?: Clock;
};

/** A running HTTP simulator. */
export interface RunningSimulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  stats(): SimulatorStats;
  /** Stops listening, drops open connections and pending deliveries. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;

/** Starts the simulator as a real node:http server. Rejects with `ConfigError` for bad options. */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const { port = 0, host = '127.0.0.1', clock = realClock, ...knobs } = options;
  const core = createSimulatorCore(knobs, clock.now());
  const timers = new Set<NodeJS.Timeout>();
  const later = (fn: () => void, ms: number): NodeJS.Timeout => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };
  const cancel = (t: NodeJS.Timeout | undefined): void => {
    if (t === undefined) return;
    clearTimeout(t);
    timers.delete(t);
  };

  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        let response: SimResponse;
        try {
          response = core.handle(toSimRequest(req, body), clock.now());
        } catch {
          // A bug in the core must not leave the client hanging; the real 500 makes it visible.
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"simulator_failure"}');
          return;
        }
        let pending: NodeJS.Timeout | undefined = later(() => {
          pending = undefined;
          deliver(res, response, later, (t) => (pending = t));
        }, response.delayMs);
        res.once('close', () => cancel(pending));
      },
      () => {
        res.writeHead(413, { 'content-type': 'application/json' }).end('{"error":"body_too_large"}');
      },
    );
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    stats: () => core.stats(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function toSimRequest(req: IncomingMessage, body: string): SimRequest {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { method: req.method ?? 'GET', path: url.pathname, query, headers, body, client: req.socket.remoteAddress ?? 'unknown' };
}

type Later = (fn: () => void, ms: number) => NodeJS.Timeout;

/** Sends `response` per its delivery mode: whole, cut short, reset mid-body, or trickled. */
function deliver(res: ServerResponse, response: SimResponse, later: Later, track: (t: NodeJS.Timeout) => void): void {
  const bytes = Buffer.from(response.body, 'utf8');
  const { delivery } = response;
  const head = (length: number): void => void res.writeHead(response.status, { ...response.headers, 'content-length': String(length) });
  switch (delivery.mode) {
    case 'normal':
      head(bytes.length);
      res.end(bytes);
      return;
    case 'truncate':
      head(delivery.bytes);
      res.end(bytes.subarray(0, delivery.bytes));
      return;
    case 'reset':
      head(bytes.length);
      res.write(bytes.subarray(0, delivery.afterBytes), () => res.socket?.destroy());
      return;
    case 'trickle': {
      head(bytes.length);
      const size = Math.ceil(bytes.length / delivery.chunks);
      const send = (from: number): void => {
        const chunk = bytes.subarray(from, from + size);
        if (from + size >= bytes.length) {
          res.end(chunk);
          return;
        }
        res.write(chunk);
        track(later(() => send(from + size), delivery.intervalMs));
      };
      send(0);
      return;
    }
  }
}
