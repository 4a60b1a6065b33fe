import { createServer } from 'node:net';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import type { InspectionEvent, Observer } from 'xstate';

export interface StatelyInspectorOptions {
  /** Port of the local bridge between this process and the inspector page (default: a free one). */
  readonly port?: number;
  /** Open the inspector page in the default browser (default true). */
  readonly open?: boolean;
}

export interface StatelyInspector {
  /** Pass to the actor's `inspect` option (e.g. through `runMachine`). */
  readonly inspect: Observer<InspectionEvent>;
  /** The page that shows the live machine. */
  readonly url: string;
  /** Lets a pending connection finish, then closes the socket and the bridge so the process can exit. */
  stop(): Promise<void>;
}

interface SocketLike {
  readonly readyState: number;
  addEventListener(type: 'open' | 'error' | 'close', listener: () => void, options?: { once?: boolean }): void;
}

const CONNECTING = 0;

/**
 * The adapter's socket. Not part of the package's typed API: needed because closing a socket
 * that is still connecting makes the adapter retry forever (every 5 s, on global timers).
 */
function socketOf(adapter: unknown): SocketLike | undefined {
  if (typeof adapter !== 'object' || adapter === null || !('ws' in adapter)) return undefined;
  const { ws } = adapter;
  if (typeof ws !== 'object' || ws === null || !('readyState' in ws) || !('addEventListener' in ws)) return undefined;
  return ws as SocketLike;
}

/**
 * Listens on `port` (0: any free one) and closes again: the port the bridge can take. Needed
 * because the bridge server reports a port in use as an uncaught exception that would end the run.
 */
function claimablePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'EADDRINUSE' ? `port ${port} is in use` : `port ${port}: ${error.message}`)),
    );
    probe.listen(port, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Shows the live run in the Stately inspector: a local bridge server (HTTP page + WebSocket)
 * relays this process's inspection events to the inspector in a browser. Chosen over the hosted
 * Sky inspector because events stay on this machine and its socket can be closed (Sky's cannot,
 * which would keep the CLI alive). The page itself embeds the hosted inspector (stately.ai): it
 * needs a browser online. Context and events carry counts only, no records or secrets. Rejects
 * when the port cannot be had.
 */
export async function startStatelyInspector(options: StatelyInspectorOptions = {}): Promise<StatelyInspector> {
  const port = await claimablePort(options.port ?? 0);
  const server = createInspectorServer({ port, autoOpen: options.open ?? true });
  const inspector = createWebSocketInspector({ url: `ws://localhost:${port}` });
  return {
    inspect: inspector.inspect,
    url: `http://localhost:${port}`,
    async stop() {
      const socket = socketOf(inspector.adapter);
      if (socket?.readyState === CONNECTING) {
        await new Promise<void>((resolve) => {
          socket.addEventListener('open', () => resolve(), { once: true });
          socket.addEventListener('close', () => resolve(), { once: true });
        });
      }
      inspector.stop();
      server.stop();
    },
  };
}
