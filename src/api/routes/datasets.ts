import { loadConfig } from '../../config';
import type { CatalogPolicy } from '../../core/datasets';
import type { Database } from '../../store/db/database';
import { catalogPolicy, describeDataset, listDatasets } from '../../store/db/datasets';
import { notFound } from '../errors';
import { EXAMPLES } from '../examples';
import type { ApiRoute } from '../route';
import { DatasetDetail, DatasetList } from '../schemas';

/** Longest dataset name accepted in a path: names are short labels (`ndvi`, `observations-archive`). */
const MAX_NAME_LENGTH = 100;

/**
 * The dataset catalog, read-only: owners, retention and KPI thresholds as this server's
 * configuration resolves them (`policy`, by default read from the environment on first use).
 */
export function datasetRoutes(db: Database, policy?: CatalogPolicy): ApiRoute[] {
  let resolved = policy;
  const currentPolicy = () => {
    resolved ??= catalogPolicy(loadConfig());
    return resolved;
  };
  return [
    {
      method: 'GET',
      url: '/v1/datasets',
      operationId: 'listDatasets',
      summary: 'Published datasets with their owner team, retention and quality KPIs',
      tag: 'datasets',
      scope: 'read',
      responses: {
        200: {
          description: 'The catalog, by name',
          content: {
            'application/json': { schema: DatasetList, example: { items: [EXAMPLES.dataset] } },
          },
        },
      },
      handler: async () => ({ items: await listDatasets(db, currentPolicy()) }),
    },
    {
      method: 'GET',
      url: '/v1/datasets/:name',
      operationId: 'getDataset',
      summary: 'One dataset with its row counts and the live KPIs of the latest run',
      description:
        "Row counts cover the rows the key's team may read (row-level security); the KPIs are the latest weekly run's, over every parcel it processed.",
      tag: 'datasets',
      scope: 'read',
      params: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: {
            type: 'string',
            minLength: 1,
            maxLength: MAX_NAME_LENGTH,
            description: 'e.g. ndvi, ndmi, weekly, observations-archive',
          },
        },
      },
      responses: {
        200: {
          description: 'The dataset',
          content: {
            'application/json': { schema: DatasetDetail, example: EXAMPLES.datasetDetail },
          },
        },
      },
      handler: async (request) => {
        const { name } = request.params as { name: string };
        const dataset = await describeDataset(db, name, currentPolicy());
        if (!dataset) throw notFound(`no dataset is named "${name}"; see GET /v1/datasets`);
        return dataset;
      },
    },
  ];
}
