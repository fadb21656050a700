/** Where a command reads and writes; injectable so tests can run commands in-process. */
export interface CliIo {
  readonly stdin: () => Promise<Buffer>;
  readonly stdout: (data: string | Uint8Array) => void;
  readonly stderr: (text: string) => void;
}

/** The process-facing I/O. */
export const processIo: CliIo = {
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
  stdout: (data) => {
    process.stdout.write(data);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
};
