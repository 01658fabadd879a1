import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataType, StatusCodes, Variant, type StatusCode } from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { nodesets } from 'node-opcua-nodesets';
import { OPCUAServer } from 'node-opcua-server';

/** What the tests need of a variable node (node-opcua-address-space's UAVariable, not a direct dependency). */
interface UAVariable {
  setValueFromSource(value: Variant, status?: StatusCode): void;
  dataTypeObj: { browseName: { name?: string | null } };
}
import { freePort } from '@takt/runtime';

/** The nodeset the tests load: line-u with pump-u1 (temperature, current, pressure, rpm) and fan-u2 (vibration). */
export const LINE_U_NODESET = fileURLToPath(new URL('../../testdata/opcua/line-u.NodeSet2.xml', import.meta.url));

export interface TestOpcuaServerOptions {
  port?: number;
  /** accepted user name → password; anonymous is allowed too unless `anonymous: false` */
  users?: Record<string, string>;
  anonymous?: boolean;
}

/**
 * A minimal OPC UA server built from node-opcua's API with a nodeset loaded from XML (not our
 * simulator): the independent peer of the intake tests. Private PKI in a temp dir, loopback port.
 */
export class TestOpcuaServer {
  readonly #server: OPCUAServer;
  readonly #dir: string;
  readonly port: number;

  private constructor(server: OPCUAServer, dir: string, port: number) {
    this.#server = server;
    this.#dir = dir;
    this.port = port;
  }

  static async start(options: TestOpcuaServerOptions = {}): Promise<TestOpcuaServer> {
    const port = options.port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), 'takt-opcua-server-'));
    const serverCertificateManager = new OPCUACertificateManager({
      rootFolder: join(dir, 'pki'),
      automaticallyAcceptUnknownCertificate: true,
    });
    const users = options.users ?? {};
    const server = new OPCUAServer({
      port,
      hostname: '127.0.0.1',
      nodeset_filename: [nodesets.standard, LINE_U_NODESET],
      serverCertificateManager,
      allowAnonymous: options.anonymous ?? true,
      userManager: {
        isValidUser: (user: string, password: string) => users[user] !== undefined && users[user] === password,
      },
      buildInfo: { productName: 'takt-test-opcua' },
    });
    await server.initialize();
    await server.start();
    return new TestOpcuaServer(server, dir, port);
  }

  /** Namespace index of the loaded nodeset (`urn:takt:test:line-u`). */
  get ns(): number {
    return this.#server.engine.addressSpace!.getNamespaceIndex('urn:takt:test:line-u');
  }

  get endpoint(): string {
    return `opc.tcp://127.0.0.1:${this.port}`;
  }

  variable(nodeId: string): UAVariable {
    const node = this.#server.engine.addressSpace?.findNode(nodeId);
    if (!node) throw new Error(`no node ${nodeId}`);
    return node as unknown as UAVariable;
  }

  /** Sets a Double/Float/Int32 variable from the source, with a status code (default Good). */
  set(nodeId: string, value: number, status: StatusCode = StatusCodes.Good): void {
    const v = this.variable(nodeId);
    const dataType = (v.dataTypeObj.browseName.name ?? 'Double') as keyof typeof DataType;
    v.setValueFromSource(new Variant({ dataType: DataType[dataType], value }), status);
  }

  /** Shuts down (clients see the connection drop) and removes the PKI. */
  async stop(): Promise<void> {
    await this.#server.shutdown(0);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
