/**
 * Herald's patches to FerretDB 1.24's SQLite backend, applied to its source before the build
 * (tools.ts). Each is checked against the upstream text it replaces, so a changed upstream file
 * fails the build loudly instead of building something unpatched.
 *
 * Why they are safe: every FerretDB command filters the documents a backend query returns again
 * with the whole filter (FilterIterator, FilterDocument), so a backend's WHERE clause only has to
 * return a superset of the matching documents. The patches only narrow the SQL by `_id`, which
 * the filter requires anyway.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Part of the tools cache tag: a build with an older set of patches is not reused. */
export const FERRETDB_PATCH_LEVEL = 2;

export async function patchFerretDb(src: string): Promise<void> {
  await patchIdColumn(src);
  await patchIdPushdown(src);
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
 * nothing else, so every other query reads and decodes the whole table. Two shapes Herald uses on
 * its hot paths are pushed down too (as index searches on `_id`):
 * - `{ _id: X, ...more }`: an account-scoped lookup by id (`{ _id, accountId }`);
 * - `{ _id: { $in: [X, Y, ...] } , ...more }` (strings or ObjectIds, at most 1,000): the stream
 *   log read, which asks for the next offsets of its partitions by their `_id`s.
 */
async function patchIdPushdown(src: string): Promise<void> {
  const dir = path.join(src, 'internal', 'backends', 'sqlite');
  const file = path.join(dir, 'collection.go');
  const upstream = (assign: string) => `	if params.Filter.Len() == 1 {
		v, _ := params.Filter.Get("_id")
		switch v.(type) {
		case string, types.ObjectID:
${assign}			whereClause = fmt.Sprintf(\` WHERE %s = ?\`, metadata.IDColumn)
			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}
`;
  await replaceOnce(file, upstream(''), '	whereClause, args = heraldIDWhere(params.Filter)\n');
  await replaceOnce(file, upstream('			filterPushdown = true\n'), '	whereClause, args = heraldIDWhere(params.Filter)\n	filterPushdown = whereClause != ""\n');
  await fs.writeFile(path.join(dir, 'herald_pushdown.go'), ID_WHERE_GO);
}

const ID_WHERE_GO = `// Herald's patch (src/embedded/ferretdb-patches.ts in Herald): _id pushdown for more filter shapes.

package sqlite

import (
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
)

// heraldMaxIn bounds the SQL parameters of one $in pushdown.
const heraldMaxIn = 1000

// heraldIDArg returns the SQL argument matching an _id value in the _id index, if the value is
// a type the index holds as itself (string or ObjectID).
func heraldIDArg(v any) (any, bool) {
	switch v.(type) {
	case string, types.ObjectID:
		b, err := sjson.MarshalSingleValue(v)
		if err != nil {
			return nil, false
		}
		return string(b), true
	}
	return nil, false
}

// heraldIDWhere returns a WHERE clause on the _id index that every document matching filter
// satisfies (the caller filters again with the whole filter), or "" if there is none.
func heraldIDWhere(filter *types.Document) (string, []any) {
	if filter == nil {
		return "", nil
	}
	v, err := filter.Get("_id")
	if err != nil {
		return "", nil
	}
	if arg, ok := heraldIDArg(v); ok {
		return fmt.Sprintf(\` WHERE %s = ?\`, metadata.IDColumn), []any{arg}
	}
	ops, ok := v.(*types.Document)
	if !ok || ops.Len() != 1 {
		return "", nil
	}
	if eq, err := ops.Get("$eq"); err == nil {
		if arg, ok := heraldIDArg(eq); ok {
			return fmt.Sprintf(\` WHERE %s = ?\`, metadata.IDColumn), []any{arg}
		}
		return "", nil
	}
	in, err := ops.Get("$in")
	if err != nil {
		return "", nil
	}
	arr, ok := in.(*types.Array)
	if !ok || arr.Len() == 0 || arr.Len() > heraldMaxIn {
		return "", nil
	}
	args := make([]any, 0, arr.Len())
	for i := 0; i < arr.Len(); i++ {
		el, err := arr.Get(i)
		if err != nil {
			return "", nil
		}
		arg, ok := heraldIDArg(el)
		if !ok {
			return "", nil
		}
		args = append(args, arg)
	}
	return fmt.Sprintf(\` WHERE %s IN (?%s)\`, metadata.IDColumn, strings.Repeat(", ?", len(args)-1)), args
}
`;
