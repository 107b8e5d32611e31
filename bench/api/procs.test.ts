import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Child, cpuMeter, cpuSecondsOf, freePort, machineBusySeconds } from './procs.js';
import { until } from './load.js';

describe('procs', () => {
  test('freePort gives a usable loopback port', async () => {
    const p = await freePort();
    assert.ok(Number.isInteger(p) && p > 0 && p < 65536);
  });

  test('a child reports output, memory and CPU, and stops by PID', async () => {
    const script = "process.stdout.write('ready\\n'); const end = Date.now() + 300; while (Date.now() < end); setInterval(() => {}, 1000);";
    const c = new Child('spinner', process.execPath, ['-e', script], ['ready']);
    assert.ok(await until(() => c.seen.has('ready') || Boolean(c.exited), 10_000));
    assert.equal(c.exited, undefined);
    assert.ok(c.memKiB('VmRSS') > 1000);
    assert.ok(c.memKiB('VmHWM') >= c.memKiB('VmRSS') * 0.5);
    const meter = cpuMeter(c);
    assert.ok(await until(() => c.cpuSeconds() >= 0.2, 10_000, 20), 'the busy loop shows as CPU time');
    const share = meter(1000);
    assert.ok(share.server >= 0 && share.bench >= 0 && share.other >= 0);
    await c.stop();
    assert.equal(c.exited, 'signal SIGTERM');
  });

  test('machine and own CPU counters move forward', () => {
    const m0 = machineBusySeconds();
    const s0 = cpuSecondsOf('self');
    const end = Date.now() + 200;
    while (Date.now() < end);
    assert.ok(cpuSecondsOf('self') > s0);
    assert.ok(machineBusySeconds() > m0);
  });
});
