/**
 * One Streaming API consumer as its own process, for `npm run bench -- --stream`: consumers are
 * clients, so their JSON parsing and commits are not charged to the API process (and four of them
 * can use the machine's cores). Talks to the bench over IPC: `ready` once loaded, reads on `go`,
 * reports each batch's size, stops on `stop` and answers with its own CPU time.
 */
import { consumeStream } from '../../src/stream/consumer';

const [url, apiKey, subscriptionId] = process.argv.slice(2);
const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
const controller = new AbortController();

process.on('message', (message) => {
  if (message === 'stop') controller.abort();
  if (message !== 'go') return;
  consumeStream({
    url,
    apiKey,
    subscriptionId,
    query: { batch_limit: 100, batch_flush_timeout: 0.05 },
    signal: controller.signal,
    onEvents: (events) => void send({ read: events.length }),
  })
    .catch((err: unknown) => {
      if (!controller.signal.aborted) process.stderr.write(`stream reader: ${String(err)}\n`);
    })
    .finally(async () => {
      const cpu = process.cpuUsage();
      await send({ cpuMs: (cpu.user + cpu.system) / 1000 });
      process.exit(0);
    });
});
void send('ready');
