/**
 * Herald's patches to FerretDB 1.24's SQLite backend, applied to its source before the build
 * (tools.ts). Each is checked against the upstream text it replaces, so a changed upstream file
 * fails the build loudly instead of building something unpatched.
 *
 * Why they are safe: every FerretDB command filters the documents a backend query returns again
 * with the whole filter (FilterIterator, FilterDocument), sorts and limits again, so a backend's
 * SQL only has to return a superset of the matching documents in order; a LIMIT goes down only
 * when the SQL is the whole filter and sort (ferretdb-patches/herald_plan.go says what it assumes).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Part of the tools cache tag: a build with an older set of patches is not reused. */
export const FERRETDB_PATCH_LEVEL = 4;

export async function patchFerretDb(src: string): Promise<void> {
  await patchIdColumn(src);
  await patchPlanner(src);
}

async function replaceOnce(file: string, before: string, after: string): Promise<void> {
  const text = await fs.readFile(file, 'utf8');
  if (text.split(before).length !== 2) throw new Error(`FerretDB source changed: ${file} no longer has exactly one ${JSON.stringify(before.slice(0, 80))}`);
  await fs.writeFile(file, text.replace(before, after));
}

/**
 * The SQLite backend looks documents up by `_ferretdb_sjson->'$._id'` while its unique _id index
 * is on `_ferretdb_sjson->"_id"`. SQLite matches index expressions literally, so every lookup,
 * update and delete by _id scanned the whole table (an update took 8 ms at 4,000 documents and
 * grew linearly). `->'_id'` means the same path and matches the index: lookups become index searches.
 */
async function patchIdColumn(src: string): Promise<void> {
  const file = path.join(src, 'internal', 'backends', 'sqlite', 'metadata', 'metadata.go');
  await replaceOnce(file, `IDColumn = DefaultColumn + "->'$._id'"`, `IDColumn = DefaultColumn + "->'_id'"`);
}

/**
 * Upstream pushes a filter down to SQLite only when it is `{ _id: <string or ObjectId> }` and
 * nothing else, never a sort (but `$natural`), and a limit only without filter and sort: every
 * list reads, decodes and sorts the whole collection. The planner (ferretdb-patches/herald_plan.go)
 * turns the indexed parts of any filter into WHERE conditions on the indexes' own expressions,
 * the sort into ORDER BY, and the limit into LIMIT when that is exact. The handler hands the
 * backend the find's sort and limit in two new fields (upstream's `Sort`/`Limit` keep their
 * meaning for the other backends).
 */
async function patchPlanner(src: string): Promise<void> {
  const internal = path.join(src, 'internal');
  const sqlite = path.join(internal, 'backends', 'sqlite');

  // The find's sort and limit, for the planner; upstream's fields keep their narrower meaning.
  const herald = `
	// Herald: the command's sort (not $natural) and limit, for the SQLite backend's planner.
	HeraldSort  *types.Document
	HeraldLimit int64
`;
  const params = path.join(internal, 'backends', 'collection.go');
  await replaceOnce(params, 'type QueryParams struct {\n\tFilter *types.Document\n\tSort   *types.Document\n\tLimit  int64\n', `type QueryParams struct {\n\tFilter *types.Document\n\tSort   *types.Document\n\tLimit  int64\n${herald}`);
  await replaceOnce(params, 'type ExplainParams struct {\n\tFilter *types.Document\n\tSort   *types.Document\n\tLimit  int64\n', `type ExplainParams struct {\n\tFilter *types.Document\n\tSort   *types.Document\n\tLimit  int64\n${herald}`);

  // The handler: find and explain pass their sort and limit when no skip applies. The limit only
  // when no dotted key was taken out of the pushed-down filter (it must be the whole filter).
  const limitComment = '\t// Limit pushdown is not applied if:\n';
  const handOver = `	if !h.DisablePushdown && params.Skip == 0 && qp.Sort == nil {
		qp.HeraldSort = params.Sort
		if qp.Filter.Len() == params.Filter.Len() {
			qp.HeraldLimit = params.Limit
		}
	}

${limitComment}`;
  await replaceOnce(path.join(internal, 'handler', 'msg_find.go'), limitComment, handOver);
  await replaceOnce(path.join(internal, 'handler', 'msg_explain.go'), limitComment, handOver);

  // The backend: Query and Explain plan with it.
  const collection = path.join(sqlite, 'collection.go');
  const upstreamWhere = (assign: string) => `	if params.Filter.Len() == 1 {
		v, _ := params.Filter.Get("_id")
		switch v.(type) {
		case string, types.ObjectID:
${assign}			whereClause = fmt.Sprintf(\` WHERE %s = ?\`, metadata.IDColumn)
			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}
`;
  await replaceOnce(
    collection,
    upstreamWhere('') + '\n\tq += whereClause\n\tq += prepareOrderByClause(params.Sort)\n\n\tif params.Limit != 0 {\n\t\tq += ` LIMIT ?`\n\t\targs = append(args, params.Limit)\n\t}\n',
    `	plan := heraldPlanFor(meta, params.Filter, params.HeraldSort, params.HeraldLimit)
	whereClause, args = plan.where, plan.args

	q += plan.indexedBy + whereClause
	orderBy := prepareOrderByClause(params.Sort)
	if orderBy == "" {
		orderBy = plan.orderBy
	}
	q += orderBy

	if params.Limit != 0 {
		q += \` LIMIT ?\`
		args = append(args, params.Limit)
	} else if plan.limit != 0 {
		q += \` LIMIT ?\`
		args = append(args, plan.limit)
	}
`,
  );
  await replaceOnce(
    collection,
    upstreamWhere('			filterPushdown = true\n') + '\n\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown := orderByClause != ""\n\n\tq := `EXPLAIN QUERY PLAN ` + selectClause + whereClause + orderByClause\n\n\tvar limitPushdown bool\n\n\tif params.Limit != 0 {\n\t\tq += ` LIMIT ?`\n\t\targs = append(args, params.Limit)\n\t\tlimitPushdown = true\n\t}\n',
    `	plan := heraldPlanFor(meta, params.Filter, params.HeraldSort, params.HeraldLimit)
	whereClause, args = plan.where, plan.args
	filterPushdown = whereClause != ""

	orderByClause := prepareOrderByClause(params.Sort)
	if orderByClause == "" {
		orderByClause = plan.orderBy
	}
	sortPushdown := orderByClause != ""

	q := \`EXPLAIN QUERY PLAN \` + selectClause + plan.indexedBy + whereClause + orderByClause

	var limitPushdown bool

	if params.Limit != 0 {
		q += \` LIMIT ?\`
		args = append(args, params.Limit)
		limitPushdown = true
	} else if plan.limit != 0 {
		q += \` LIMIT ?\`
		args = append(args, plan.limit)
		limitPushdown = true
	}
`,
  );
  await fs.copyFile(path.join(__dirname, 'ferretdb-patches', 'herald_plan.go'), path.join(sqlite, 'herald_plan.go'));
}
