import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Container, ContainerImage } from 'kubernetes-types/core/v1.js';
import type { SchedulerCache } from '../../cache.js';
import { Framework } from '../../framework.js';
import { defaultProfile } from '../../profile.js';
import { makeCache, makeNode, podInfo, type NodeOpts } from '../../testing.js';
import { CycleState, type PodInfo } from '../../types.js';
import { imageLocality, imagePriority, normalizedImageName } from './index.js';

const MB = 1024 * 1024;
const img = (sizeMB: number, ...names: string[]): ContainerImage => ({ names, sizeBytes: sizeMB * MB });
const pod = (containers: string[], init: string[] = []): PodInfo => {
  const c = (image: string, i: number): Container => ({ name: `c${i}`, image });
  return podInfo('p', { spec: { containers: containers.map(c), initContainers: init.length ? init.map(c) : undefined } });
};

/** Scores of every node of the cache, in node order, after PreScore ('skip' when it skipped). */
function scores(cache: SchedulerCache, p: PodInfo): number[] | 'skip' {
  const pl = imageLocality();
  const state = new CycleState();
  const nodes = cache.nodes();
  const s = pl.preScore(state, p, nodes, cache);
  if (s?.code === 'Skip') return 'skip';
  assert.equal(s, undefined);
  return nodes.map((n) => pl.score(state, p, n));
}

const nodes = (...images: (ContainerImage[] | undefined)[]): Record<string, NodeOpts> =>
  Object.fromEntries(images.map((images, i) => [`n${i}`, { images }]));

describe('ImageLocality score', () => {
  test('a node holding the pod image scores higher than one without', () => {
    const cache = makeCache(nodes([img(500, 'nginx:1.25')], undefined));
    // 500 MB on 1 of 2 nodes counts as 250 MB: 100 * (250 - 23) / (1000 - 23).
    assert.deepEqual(scores(cache, pod(['nginx:1.25'])), [23, 0]);
  });

  test('spread: an image counts by its size times the fraction of nodes that have it', () => {
    const everywhere = img(500, 'common:1');
    const cache = makeCache(nodes([everywhere, img(500, 'rare:1')], [everywhere], [everywhere], [everywhere]));
    // On all 4 nodes: the full 500 MB, the same bonus for every node.
    assert.deepEqual(scores(cache, pod(['common:1'])), [48, 48, 48, 48]);
    // On 1 of 4 nodes: 125 MB, so the one node holding it is favoured only mildly (upstream's
    // guard against piling pods onto the few nodes that have an image).
    assert.deepEqual(scores(cache, pod(['rare:1'])), [10, 0, 0, 0]);
  });

  test('the count follows nodes as they gain and lose the image', () => {
    const cache = makeCache(nodes([img(500, 'app:1')], [img(500, 'app:1')], undefined, undefined));
    assert.equal(cache.images().get('app:1')?.numNodes, 2);
    assert.deepEqual(scores(cache, pod(['app:1'])), [23, 23, 0, 0]);
    cache.setNode(makeNode('n2', { images: [img(500, 'app:1')] }));
    assert.equal(cache.images().get('app:1')?.numNodes, 3);
    assert.deepEqual(scores(cache, pod(['app:1'])), [36, 36, 36, 0]);
    cache.setNode(makeNode('n0', {}));
    cache.removeNode('n1');
    assert.equal(cache.images().get('app:1')?.numNodes, 1);
    // 500 MB on 1 of 3 nodes.
    assert.deepEqual(scores(cache, pod(['app:1'])), [0, imagePriority(Math.trunc(500 * MB / 3), 1), 0]);
    cache.removeNode('n2');
    assert.equal(cache.images().size, 0);
    assert.equal(scores(cache, pod(['app:1'])), 'skip');
  });

  test('thresholds: below 23 MB scores 0, at or above 1000 MB per container scores 100', () => {
    const cache = makeCache(nodes([img(20, 'tiny:1'), img(23, 'min:1'), img(1000, 'max:1'), img(4000, 'huge:1'), img(600, 'mid:1'), img(600, 'mid:2')]));
    assert.deepEqual(scores(cache, pod(['tiny:1'])), [0]);
    assert.deepEqual(scores(cache, pod(['min:1'])), [0]);
    assert.deepEqual(scores(cache, pod(['max:1'])), [100]);
    assert.deepEqual(scores(cache, pod(['huge:1'])), [100]);
    // The containers' images add up.
    assert.deepEqual(scores(cache, pod(['mid:1', 'mid:2'])), [Math.floor((100 * (1200 - 23)) / (2000 - 23))]);
    // The upper bound grows with the container count: 4000 MB against 2 x 1000 MB is still capped...
    assert.deepEqual(scores(cache, pod(['huge:1', 'absent:1'])), [100]);
    // ...while 1000 MB against 2000 MB is about half.
    assert.deepEqual(scores(cache, pod(['max:1', 'absent:1'])), [Math.floor((100 * (1000 - 23)) / (2000 - 23))]);
    assert.equal(imagePriority(0, 0), 0);
  });

  test('init containers count, both for their images and for the upper bound', () => {
    const cache = makeCache(nodes([img(1000, 'init:1')], undefined));
    // The init image alone: 500 MB (1 of 2 nodes) against 2 containers x 1000 MB.
    assert.deepEqual(scores(cache, pod(['main:1'], ['init:1'])), [Math.floor((100 * (500 - 23)) / (2000 - 23)), 0]);
    const everywhere = makeCache(nodes([img(1000, 'main:1')], [img(1000, 'main:1')]));
    // An init container without a local image still raises the bound.
    assert.deepEqual(scores(everywhere, pod(['main:1'])), [100, 100]);
    assert.deepEqual(scores(everywhere, pod(['main:1'], ['other:1'])), [49, 49]);
  });

  test('an image without a tag means :latest; names match any of the node image names', () => {
    const cache = makeCache(nodes(
      [img(600, 'docker.io/library/busybox:latest', 'busybox:latest', 'busybox@sha256:abc')],
      [img(600, 'localhost:5000/app:latest')],
      [img(600, 'busybox')],
    ));
    assert.equal(normalizedImageName('busybox'), 'busybox:latest');
    assert.equal(normalizedImageName('localhost:5000/app'), 'localhost:5000/app:latest');
    assert.equal(normalizedImageName('busybox:1.36'), 'busybox:1.36');
    assert.equal(normalizedImageName('busybox@sha256:abc'), 'busybox@sha256:abc');
    const s = Math.floor((100 * (200 - 23)) / (1000 - 23));
    assert.deepEqual(scores(cache, pod(['busybox'])), [s, 0, 0]);
    assert.deepEqual(scores(cache, pod(['busybox:latest'])), [s, 0, 0]);
    assert.deepEqual(scores(cache, pod(['docker.io/library/busybox'])), [s, 0, 0]);
    assert.deepEqual(scores(cache, pod(['busybox@sha256:abc'])), [s, 0, 0]);
    assert.deepEqual(scores(cache, pod(['localhost:5000/app'])), [0, s, 0]);
    // A node reporting an untagged name is not matched by the pod's normalized one.
    assert.equal(cache.images().get('busybox')?.numNodes, 1);
  });

  test('a node listing a name twice counts once; the first listing gives the size', () => {
    const cache = makeCache(nodes([img(300, 'dup:1'), img(900, 'dup:1', 'dup:1')], undefined));
    assert.deepEqual({ ...cache.images().get('dup:1') }, { size: 300 * MB, numNodes: 1 });
    cache.setNode(makeNode('n0', {}));
    assert.equal(cache.images().size, 0);
  });

  test('skips when no node has any of the pod images', () => {
    assert.equal(scores(makeCache(nodes(undefined, undefined)), pod(['a:1'])), 'skip');
    assert.equal(scores(makeCache(nodes([img(500, 'b:1')])), pod(['a:1'])), 'skip');
  });

  test('the default profile prefers the node holding a large image', () => {
    const fw = new Framework(defaultProfile({ binder: { name: 'b', bind: async () => undefined } }), { random: () => 0.5 });
    for (const holder of ['n0', 'n1', 'n2']) {
      const spec: Record<string, NodeOpts> = { n0: {}, n1: {}, n2: {} };
      spec[holder] = { images: [img(2000, 'big:1')] };
      const cache = makeCache(spec);
      assert.equal(fw.schedule(new CycleState(), pod(['big:1']), cache).nodeName, holder);
    }
  });
});
