/** The process's stdin as a LineInput: read only when a command asks, so nothing holds the event loop open otherwise. */
import * as readline from 'node:readline';
import type { LineInput } from './command';

export function processLineInput(input: NodeJS.ReadStream = process.stdin): LineInput {
  return {
    isTTY: input.isTTY === true,
    readLine: () =>
      new Promise<string | undefined>((resolve) => {
        const lines = readline.createInterface({ input, terminal: false });
        let answered = false;
        lines.once('line', (line) => {
          answered = true;
          lines.close();
          resolve(line);
        });
        lines.once('close', () => {
          if (!answered) resolve(undefined);
        });
      }),
  };
}
