/**
 * Preloaded into a child process (`--import`): at exit it writes the process's peak resident set,
 * in bytes, to the file named by PEAK_RSS_FILE, so a test can bound a real run's memory.
 */
import { writeFileSync } from 'node:fs';

const file = process.env['PEAK_RSS_FILE'];
// maxRSS is in kibibytes.
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
