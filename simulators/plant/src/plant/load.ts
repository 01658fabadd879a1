import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { SimError } from '../errors.js';
import { plantSchema, SENSOR_KINDS, type MachineSpec, type PlantFile, type SensorKind } from './schema.js';

/** `['sites', 0, 'lines', 1, 'rate']` → `sites[0].lines[1].rate`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(root)';
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** The first zod issue as `path: what is wrong`. */
function toPlantError(error: z.ZodError, data: unknown, source: string): SimError {
  const issue = error.issues[0];
  if (!issue) return new SimError('PLANT_INVALID', `${source}: plant file is invalid`);
  let path: PropertyKey[] = issue.path;
  let what: string;
  if (issue.code === 'unrecognized_keys') {
    path = [...path, issue.keys[0] ?? '?'];
    what = 'unknown field';
  } else if (
    valueAt(data, issue.path) === undefined &&
    (issue.code === 'invalid_type' || issue.code === 'invalid_value')
  ) {
    what = `required field missing (${issue.message.replace(/^Invalid (input|option): /, '')})`;
  } else if (issue.code === 'invalid_type') {
    what = `expected ${issue.expected}, got ${describeType(valueAt(data, issue.path))}`;
  } else {
    what = issue.message;
  }
  const field = formatPath(path);
  return new SimError('PLANT_INVALID', `${source}: ${field}: ${what}`, field);
}

/** Reads plant text: YAML when the name ends in .yaml/.yml, else JSON. */
function parseText(text: string, source: string): unknown {
  const yaml = ['.yaml', '.yml'].includes(extname(source).toLowerCase());
  try {
    return yaml ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw new SimError('PLANT_PARSE', `${source}: not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
}

/** The kind a sensor measures: its `kind`, else its name when that is a kind. */
export function sensorKindOf(name: string, kind: SensorKind | undefined): SensorKind | undefined {
  return kind ?? ((SENSOR_KINDS as readonly string[]).includes(name) ? (name as SensorKind) : undefined);
}

const SENSOR_FAULTS = new Set(['sensor-stuck', 'sensor-drift']);

function checkMachine(m: MachineSpec, at: string, batchMs: number, fail: (field: string, msg: string) => never): void {
  const sensorNames = Object.keys(m.sensors);
  if (m.type === 'camera') {
    if (!m.camera) fail(`${at}.camera`, 'required for a camera station');
    if (sensorNames.length > 0) fail(`${at}.sensors`, 'a camera station has no sensors');
    if (m.faults.length > 0 || m.randomFaults) fail(`${at}.faults`, 'a camera station takes no faults');
    return;
  }
  if (m.camera) fail(`${at}.camera`, `only for type camera, not ${m.type}`);
  if (sensorNames.length === 0) fail(`${at}.sensors`, 'at least one sensor');
  if (sensorNames.length > 64) fail(`${at}.sensors`, 'at most 64 sensors');
  for (const [name, s] of Object.entries(m.sensors)) {
    if (/^[0-9]+$/.test(name))
      fail(`${at}.sensors.${name}`, 'a sensor name needs a letter (all-digit names reorder in JSON)');
    if (!sensorKindOf(name, s.kind))
      fail(`${at}.sensors.${name}.kind`, `required: "${name}" is not one of ${SENSOR_KINDS.join(', ')}`);
    const perBatch = (s.rate * batchMs) / 1000;
    if (!Number.isInteger(perBatch))
      fail(
        `${at}.sensors.${name}.rate`,
        `rate ${s.rate} Hz × batchMs ${batchMs} ms must give a whole number of samples per batch`,
      );
  }
  const ids = new Set<string>();
  m.faults.forEach((f, i) => {
    const fat = `${at}.faults[${i}]`;
    if (f.id !== undefined && ids.has(f.id)) fail(`${fat}.id`, `duplicate fault id "${f.id}"`);
    if (f.id !== undefined) ids.add(f.id);
    if (SENSOR_FAULTS.has(f.kind) && f.sensor === undefined) fail(`${fat}.sensor`, `required for ${f.kind}`);
    if (f.sensor !== undefined && !m.sensors[f.sensor])
      fail(`${fat}.sensor`, `no sensor "${f.sensor}" on machine ${m.id}`);
    if (f.kind === 'cavitation' && m.type !== 'pump') fail(`${fat}.kind`, `cavitation needs a pump, not a ${m.type}`);
  });
  if (m.randomFaults?.kinds?.includes('cavitation') && m.type !== 'pump')
    fail(`${at}.randomFaults.kinds`, `cavitation needs a pump, not a ${m.type}`);
}

/** Rules zod cannot state: unique ids, sensor kinds, whole samples per batch, fault targets. */
function checkPlant(plant: PlantFile, source: string): void {
  const fail = (field: string, msg: string): never => {
    throw new SimError('PLANT_INVALID', `${source}: ${field}: ${msg}`, field);
  };
  const machines = new Set<string>();
  const sites = new Set<string>();
  plant.sites.forEach((site, si) => {
    if (sites.has(site.id)) fail(`sites[${si}].id`, `duplicate site id "${site.id}"`);
    sites.add(site.id);
    const lines = new Set<string>();
    site.lines.forEach((line, li) => {
      if (lines.has(line.id)) fail(`sites[${si}].lines[${li}].id`, `duplicate line id "${line.id}"`);
      lines.add(line.id);
      line.machines.forEach((m, mi) => {
        const at = `sites[${si}].lines[${li}].machines[${mi}]`;
        if (machines.has(m.id))
          fail(`${at}.id`, `duplicate machine id "${m.id}" (machine ids are device ids, unique in the plant)`);
        machines.add(m.id);
        checkMachine(m, at, plant.batchMs, fail);
      });
    });
  });
}

/** Validates a parsed plant value; throws `SimError('PLANT_INVALID')` naming the field. */
export function parsePlant(value: unknown, source = 'plant'): PlantFile {
  const result = plantSchema.safeParse(value);
  if (!result.success) throw toPlantError(result.error, value, source);
  checkPlant(result.data, source);
  return result.data;
}

/** Reads and validates a plant file (JSON, or YAML by extension). */
export function loadPlant(file: string): PlantFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SimError('PLANT_NOT_FOUND', `cannot read plant file ${file}: ${(err as Error).message}`);
  }
  return parsePlant(parseText(text, file), file);
}
