import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { nodesets } from 'node-opcua-nodesets';
import { OPCUAServer } from 'node-opcua-server';
import { DataType, Variant } from 'node-opcua-variant';
import type { ServedMachine } from './served-plant.js';

/** Namespace of the simulated plant's variables; node ids are `nsu=urn:takt:plant;s=<site>.<line>.<machine>.<sensor>`. */
export const PLANT_NAMESPACE = 'urn:takt:plant';
/** Endpoint path of the simulator's server. */
export const OPCUA_PATH = '/takt';

export interface ServingOpcua {
  endpoint: string;
  close(): Promise<void>;
}

/** The node id (string form, with the namespace URI) of a served sensor. */
export function sensorNodeId(m: ServedMachine, sensor: string): string {
  const a = m.machine.address;
  return `nsu=${PLANT_NAMESPACE};s=${a.site}.${a.line}.${a.device}.${sensor}`;
}

/**
 * An OPC UA server for the served machines: Objects/<site>/<line>/<machine>/<sensor> Double variables
 * read from the simulation's current values (Bad_WaitingForInitialData before the first step),
 * anonymous access, security None (a demo and test server; its PKI lives in `pkiDir`).
 */
export async function startOpcuaServer(
  machines: ServedMachine[],
  host: string,
  port: number,
  pkiDir: string,
): Promise<ServingOpcua> {
  mkdirSync(pkiDir, { recursive: true });
  const server = new OPCUAServer({
    port,
    hostname: host,
    resourcePath: OPCUA_PATH,
    nodeset_filename: [nodesets.standard],
    serverCertificateManager: new OPCUACertificateManager({
      rootFolder: join(pkiDir, 'pki'),
      automaticallyAcceptUnknownCertificate: true,
    }),
    allowAnonymous: true,
    buildInfo: { productName: 'takt-sim', manufacturerName: 'Takt' },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace!;
  const ns = addressSpace.registerNamespace(PLANT_NAMESPACE);
  const folders = new Map<string, ReturnType<typeof ns.addFolder>>();
  const folder = (key: string, name: string, parent: Parameters<typeof ns.addFolder>[0]) => {
    let f = folders.get(key);
    if (!f) folders.set(key, (f = ns.addFolder(parent, { browseName: name, nodeId: `s=${key}` })));
    return f;
  };
  for (const m of machines) {
    const a = m.machine.address;
    const line = folder(`${a.site}.${a.line}`, a.line, folder(a.site, a.site, addressSpace.rootFolder.objects));
    const device = ns.addObject({
      organizedBy: line,
      browseName: a.device,
      nodeId: `s=${a.site}.${a.line}.${a.device}`,
    });
    m.sensors.forEach((sensor, i) => {
      ns.addVariable({
        componentOf: device,
        browseName: sensor,
        nodeId: `s=${a.site}.${a.line}.${a.device}.${sensor}`,
        dataType: 'Double',
        minimumSamplingInterval: 10,
        value: {
          get: () => {
            const v = m.values[i] ?? NaN;
            return Number.isNaN(v)
              ? new Variant({ dataType: DataType.Null })
              : new Variant({ dataType: DataType.Double, value: v });
          },
        },
      });
    });
  }
  await server.start();
  return {
    endpoint: `opc.tcp://${host}:${server.endpoints[0]?.port ?? port}${OPCUA_PATH}`,
    close: () => server.shutdown(0),
  };
}
