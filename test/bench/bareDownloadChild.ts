/** The bare download in its own process, like the run it is compared with. Started by main.ts with BENCH_INPUT. */
import { bareDownload, type BareDownloadOptions } from './bareDownload.js';
import { childInput, ownCpuSeconds, printResult } from './childProcesses.js';

printResult({ ...(await bareDownload(childInput<BareDownloadOptions>())), cpuSeconds: ownCpuSeconds() });
process.exit(0);
