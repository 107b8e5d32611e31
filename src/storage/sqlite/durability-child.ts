// Child process of durability.test.ts. Usage: durability-child <db path> <tag> <in flight>.
// Keeps <in flight> creates outstanding and prints each key on stdout as soon as its
// create resolves (stdout to a pipe is synchronous on Linux, so a printed key has left
// this process). It runs until killed, its stdin closes, or it hits a safety cap.
import { SqliteStorage } from './sqlite.js';

const [path, tag, inFlight] = process.argv.slice(2);
if (!path || !tag || !inFlight) throw new Error('usage: durability-child <db path> <tag> <in flight>');
process.stdin.on('end', () => process.exit(0)).resume();
const store = await SqliteStorage.open(path);
const enc = new TextEncoder();
const cap = 200_000;
let next = 0;

async function writer(): Promise<void> {
  while (next < cap) {
    const key = `/durability/${tag}/${String(next++).padStart(8, '0')}`;
    await store.create(key, enc.encode(`value of ${key}`));
    process.stdout.write(`${key}\n`);
  }
}

await Promise.all(Array.from({ length: Number(inFlight) }, writer));
await store.close();
