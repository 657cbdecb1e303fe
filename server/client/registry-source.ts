import { ClientError } from './errors.ts';
import type { ImageSource, ManifestBytes } from './image.ts';
import type { RegistryClient } from './registry-client.ts';

/** An image in a registry repository, as a source for copy and pull. */
export function registrySource(client: RegistryClient, repository: string, reference: string): ImageSource {
  const get = async (ref: string): Promise<ManifestBytes> => client.getManifest(repository, ref);
  return {
    name: `${client.url}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`,
    root: () => get(reference),
    manifest: async (d) => {
      const m = await get(d.digest);
      if (m.digest !== d.digest) throw new ClientError('server', `${repository}@${d.digest} came back as ${m.digest}`);
      return m;
    },
    openBlob: async (d) => (await client.openBlob(repository, d.digest)).stream,
    mountCandidate: (url) => (url === client.url ? repository : undefined),
  };
}
