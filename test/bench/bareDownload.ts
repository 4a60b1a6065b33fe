import { performance } from 'node:perf_hooks';

export interface BareDownloadOptions {
  /** Base URL of the simulator. */
  readonly url: string;
  readonly pages: number;
  readonly pageSize: number;
  readonly concurrency: number;
  readonly username?: string;
  readonly password?: string;
}

export interface BareDownloadResult {
  readonly concurrency: number;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** CPU seconds of the downloading process, login and start-up included (set by bareDownloadChild). */
  readonly cpuSeconds?: number;
}

/**
 * The transport ceiling: pages 1..n of /customers fetched by `concurrency` plain workers with
 * one token, each body read and parsed, nothing staged, no pacing, no retries (any failure throws).
 */
export async function bareDownload(options: BareDownloadOptions): Promise<BareDownloadResult> {
  const { url, pages, pageSize, concurrency, username = 'demo', password = 'demo-password' } = options;
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!login.ok) throw new Error(`bare download: login answered ${login.status}`);
  const { access_token: token } = (await login.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}` };
  const started = performance.now();
  let next = 1;
  let records = 0;
  const worker = async (): Promise<void> => {
    while (next <= pages) {
      const page = next++;
      const res = await fetch(`${url}/customers?page=${page}&limit=${pageSize}`, { headers });
      if (!res.ok) throw new Error(`bare download: page ${page} answered ${res.status}`);
      const body = (await res.json()) as { data: unknown[] };
      records += body.data.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { concurrency, records, seconds, recordsPerSecond: records / seconds };
}
