import { describe, expect, it } from 'vitest';
import { edgeNodeMayPublish, edgeNodeMaySubscribe } from './sparkplug-edge-acl.js';

describe('Sparkplug B for device tokens', () => {
  it('lets the edge node {group}:{edge} publish its own N* messages and the D* messages of its devices', () => {
    for (const topic of [
      'spBv1.0/Plant1/NBIRTH/Line4',
      'spBv1.0/Plant1/NDATA/Line4',
      'spBv1.0/Plant1/NDEATH/Line4',
      'spBv1.0/Plant1/DBIRTH/Line4/Press7',
      'spBv1.0/Plant1/DDATA/Line4/Press7',
      'spBv1.0/Plant1/DDEATH/Line4/Press7',
    ])
      expect(edgeNodeMayPublish('Plant1:Line4', topic), topic).toBe(true);
  });

  it('refuses other edge nodes, commands, STATE and malformed topics', () => {
    for (const topic of [
      'spBv1.0/Plant1/NDATA/Line5',
      'spBv1.0/Plant2/NDATA/Line4',
      'spBv1.0/Plant1/DDATA/Line5/Press7',
      'spBv1.0/Plant1/NCMD/Line4',
      'spBv1.0/Plant1/DCMD/Line4/Press7',
      'spBv1.0/STATE/Line4',
      'spBv1.0/Plant1/NDATA/Line4/extra',
      'spBv1.0/Plant1/NDATA',
    ])
      expect(edgeNodeMayPublish('Plant1:Line4', topic), topic).toBe(false);
  });

  it('makes no other device an edge node: native ids and Sparkplug devices speak no Sparkplug', () => {
    expect(edgeNodeMayPublish('boiler-1', 'spBv1.0/boiler-1/NDATA/boiler-1')).toBe(false);
    expect(edgeNodeMayPublish('Plant1:Line4:Press7', 'spBv1.0/Plant1/DDATA/Line4/Press7')).toBe(false);
    expect(edgeNodeMaySubscribe('Plant1:Line4:Press7', 'spBv1.0/Plant1/DCMD/Line4/Press7')).toBe(false);
  });

  it('reads escaped ids the way sparkplugDeviceId writes them', () => {
    expect(edgeNodeMayPublish('Site%3AA:Gw%251', 'spBv1.0/Site:A/NDATA/Gw%1')).toBe(true);
    expect(edgeNodeMayPublish('Site%3AA:Gw%251', 'spBv1.0/Site%3AA/NDATA/Gw%251')).toBe(false);
  });

  it('lets an edge node subscribe only to filters that match its own NCMD/DCMD', () => {
    for (const filter of [
      'spBv1.0/Plant1/NCMD/Line4',
      'spBv1.0/Plant1/NCMD/Line4/#',
      'spBv1.0/Plant1/DCMD/Line4/#',
      'spBv1.0/Plant1/DCMD/Line4/+',
      'spBv1.0/Plant1/DCMD/Line4/Press7',
    ])
      expect(edgeNodeMaySubscribe('Plant1:Line4', filter), filter).toBe(true);
    for (const filter of [
      'spBv1.0/#',
      'spBv1.0/Plant1/#',
      'spBv1.0/+/NCMD/+',
      'spBv1.0/Plant1/NCMD/+',
      'spBv1.0/Plant1/+/Line4',
      'spBv1.0/Plant1/NCMD/#',
      'spBv1.0/Plant1/DCMD/+/Press7',
      'spBv1.0/Plant1/NCMD/Line5/#',
      'spBv1.0/Plant2/DCMD/Line4/#',
      'spBv1.0/Plant1/NCMD/Line4/+',
      'spBv1.0/Plant1/DCMD/Line4',
      'spBv1.0/Plant1/DCMD/Line4/Press7/#',
      'spBv1.0/Plant1/NDATA/Line4',
    ])
      expect(edgeNodeMaySubscribe('Plant1:Line4', filter), filter).toBe(false);
  });
});
