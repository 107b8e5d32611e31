// The GET reference: a minimal Node HTTPS server that answers every request with fixed
// bytes. Measured like Kite's GETs, it shows what Node's HTTPS stack alone allows on this
// machine with this load generator, separating Kite's own cost from the platform's.
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { send, type Target } from './load.js';
import { Child, freePort } from './procs.js';

// Runs in the child: node --input-type=module -e SCRIPT PORT KEY CERT BODY.
const SCRIPT = `
import https from 'node:https';
import { readFileSync } from 'node:fs';
const [port, key, cert, body] = process.argv.slice(1);
const bytes = readFileSync(body);
const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': bytes.length };
https.createServer({ key: readFileSync(key), cert: readFileSync(cert), keepAlive: true }, (req, res) => {
  req.resume();
  res.writeHead(200, headers);
  res.end(bytes);
}).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

export class FloorServer {
  private constructor(readonly child: Child, readonly url: URL) {}

  /**
   * Serves `body` on a free loopback port. The key pair is any PEM pair at hand (the
   * kubeconfig's client certificate will do: clients of this server skip verification,
   * which does not change the cost of a keep-alive request).
   */
  static async start(dir: string, keyPem: Buffer, certPem: Buffer, body: Buffer): Promise<FloorServer> {
    const [key, cert, bodyFile] = ['floor-key.pem', 'floor-cert.pem', 'floor-body.json'].map((f) => join(dir, f));
    writeFileSync(key, keyPem, { mode: 0o600 });
    writeFileSync(cert, certPem);
    writeFileSync(bodyFile, body);
    const port = await freePort();
    const child = new Child('reference server', process.execPath, ['--input-type=module', '-e', SCRIPT, String(port), key, cert, bodyFile]);
    const s = new FloorServer(child, new URL(`https://127.0.0.1:${port}`));
    const probe = s.target(1);
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const r = await send(probe, 'GET', '/', undefined, true).catch(() => undefined);
        if (r?.status === 200) return s;
        if (child.exited || Date.now() > deadline) throw new Error(`reference server did not start (${child.exited ?? 'timeout'}):\n${child.tail}`);
        await new Promise((res) => setTimeout(res, 20));
      }
    } catch (err) {
      await child.stop();
      throw err;
    } finally {
      probe.agent.destroy();
    }
  }

  target(maxSockets: number): Target {
    return { url: this.url, agent: new https.Agent({ keepAlive: true, maxSockets, rejectUnauthorized: false }) };
  }
}
