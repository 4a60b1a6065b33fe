import type { Command } from 'commander';
import { ingestionRun } from '../../machines/ingestionRun.js';
import { machineToMermaid } from '../devtools/diagram.js';

/** `ingest diagram`: prints the run machine as a Mermaid state diagram, generated from its definition. */
export function registerDiagram(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  return program
    .command('diagram')
    .description('print the run lifecycle machine as a Mermaid stateDiagram-v2, generated from its definition')
    .option('--no-descriptions', 'leave out state descriptions and invoked actors')
    .option('--markdown', 'wrap it in a ```mermaid fence, ready to paste into Markdown')
    .action((opts: { descriptions: boolean; markdown?: boolean }) => {
      const diagram = machineToMermaid(ingestionRun, { descriptions: opts.descriptions });
      write(opts.markdown ? `\`\`\`mermaid\n${diagram}\`\`\`\n` : diagram);
    });
}
