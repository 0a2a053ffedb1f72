// Herald's patch to FerretDB 1.24's SQLite backend (src/embedded/ferretdb-patches.ts in Herald):
// a small query planner that pushes filters, sorts and limits down to SQLite's indexes.
//
// Upstream reads and decodes every document of a collection for any filter but `{_id: X}`, sorts
// in memory and applies limits afterwards, so a list query costs time linear in the collection.
// This planner turns the parts of a filter it understands into a WHERE clause on the same JSON
// expressions the collection's indexes are built on (so SQLite's own planner picks an index),
// pushes the sort down as ORDER BY on those expressions, and the limit as LIMIT when the SQL is
// exactly the filter.
//
// Why it is safe: the handler still filters every returned document with the whole filter, sorts
// and limits again (FilterIterator, SortIterator, LimitIterator), so the SQL only has to return a
// superset of the matches in the right order. LIMIT is pushed only when the WHERE clause is the
// whole filter and ORDER BY the whole sort: then the superset is exact and the first N rows are
// the answer.
//
// What it assumes (true of Herald's data; the planner is Herald's, not a general MongoDB one):
//   - a field that has an index holds scalars, never arrays (MongoDB matches an array by any element,
//     the SQL expression compares the whole array);
//   - a range ($gt, $gte, $lt, $lte) is over strings without characters below '#' or escapes
//     (Herald's ids), or dates between 2001 and 2286 (13-digit milliseconds, which sort as text);
//   - a sorted field holds one BSON type across the collection.
// Only fields that appear in an index are pushed down: anything else stays in memory, as upstream.

package sqlite

import (
	"fmt"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
)

// heraldMaxIn bounds the SQL parameters of one $in.
const heraldMaxIn = 1000

type heraldPlan struct {
	// indexedBy is an INDEXED BY clause naming the index the planner chose, or "".
	indexedBy string
	where     string
	args      []any
	orderBy   string
	// limit is the LIMIT to push down (0: none).
	limit int64
	// exact: the WHERE clause is the whole filter.
	exact bool
}

// How a field is constrained, for choosing an index.
const (
	heraldEq    = 1 // equal to one value (or null), or to one of a few ($in)
	heraldRange = 2 // a range
	heraldIn    = 4 // one of several values ($in)
	// heraldText: compared with a string, ObjectID or date, whose JSON text sorts as the value does
	// (a number's does not: "10" < "9"), so the field may be sorted by its index.
	heraldText = 8
)

// heraldColumn is the SQL expression of a field, written exactly as indexes are created
// (metadata.Registry.indexesCreate), so SQLite matches it to the index.
func heraldColumn(field string) string {
	parts := strings.Split(field, ".")
	for i, p := range parts {
		parts[i] = fmt.Sprintf("%q", p)
	}
	return metadata.DefaultColumn + "->" + strings.Join(parts, "->")
}

// heraldIndexed returns the fields that lead or take part in an index of the collection.
func heraldIndexed(meta *metadata.Collection) map[string]bool {
	fields := map[string]bool{"_id": true}
	if meta == nil {
		return fields
	}
	for _, index := range meta.Settings.Indexes {
		for _, key := range index.Key {
			fields[key.Field] = true
		}
	}
	return fields
}

// heraldEqArg is the SQL argument equal to the JSON text SQLite's `->` returns for v, for the
// scalar types whose JSON text is one spelling of the value.
func heraldEqArg(v any) (string, bool) {
	switch v.(type) {
	case string, types.ObjectID, bool, int32, int64, time.Time:
		b, err := sjson.MarshalSingleValue(v)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

// heraldRangeArg is like heraldEqArg for values whose JSON text sorts as the value does.
func heraldRangeArg(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		for i := 0; i < len(v); i++ {
			if v[i] <= '"' || v[i] == '\\' || v[i] >= 0x7f {
				return "", false
			}
		}
	case types.ObjectID:
	case time.Time:
		ms := v.UnixMilli()
		if ms < 1_000_000_000_000 || ms > 9_999_999_999_999 {
			return "", false
		}
	default:
		return "", false
	}
	return heraldEqArg(v)
}

var heraldRangeOps = map[string]string{"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}

// heraldCondition translates one field's condition; exact tells whether it is all of it.
func heraldCondition(col string, v any) (conds []string, args []any, kind int, exact bool) {
	if _, ok := v.(types.NullType); ok {
		// Equal to null: the field is null or missing.
		return []string{fmt.Sprintf(`(%s IS NULL OR %s = 'null')`, col, col)}, nil, heraldEq, true
	}
	if arg, ok := heraldEqArg(v); ok {
		return []string{col + ` = ?`}, []any{arg}, heraldEq | heraldTextKind(v), true
	}
	ops, ok := v.(*types.Document)
	if !ok || ops.Len() == 0 {
		return nil, nil, 0, false
	}
	exact = true
	for _, op := range ops.Keys() {
		operand, _ := ops.Get(op)
		switch op {
		case "$eq":
			if arg, ok := heraldEqArg(operand); ok {
				conds, args, kind = append(conds, col+` = ?`), append(args, arg), kind|heraldEq
				continue
			}
		case "$in":
			if arr, ok := operand.(*types.Array); ok && arr.Len() > 0 && arr.Len() <= heraldMaxIn {
				in := make([]any, 0, arr.Len())
				for i := 0; i < arr.Len(); i++ {
					el, _ := arr.Get(i)
					arg, ok := heraldEqArg(el)
					if !ok {
						in = nil
						break
					}
					in = append(in, arg)
				}
				if in != nil {
					conds = append(conds, fmt.Sprintf(`%s IN (?%s)`, col, strings.Repeat(", ?", len(in)-1)))
					args = append(args, in...)
					kind |= heraldEq
					if len(in) > 1 {
						kind |= heraldIn
					}
					continue
				}
			}
		case "$gt", "$gte", "$lt", "$lte":
			if arg, ok := heraldRangeArg(operand); ok {
				conds, args, kind = append(conds, fmt.Sprintf(`%s %s ?`, col, heraldRangeOps[op])), append(args, arg), kind|heraldRange|heraldTextKind(operand)
				continue
			}
		}
		exact = false
	}
	return conds, args, kind, exact
}

// heraldFilter translates a filter document into AND-ed conditions; kinds gets how each field is constrained.
func heraldFilter(filter *types.Document, indexed map[string]bool, kinds map[string]int) (conds []string, args []any, exact bool) {
	exact = true
	for _, key := range filter.Keys() {
		v, _ := filter.Get(key)
		if key == "$and" {
			arr, ok := v.(*types.Array)
			if !ok {
				exact = false
				continue
			}
			for i := 0; i < arr.Len(); i++ {
				el, _ := arr.Get(i)
				sub, ok := el.(*types.Document)
				if !ok {
					exact = false
					continue
				}
				c, a, e := heraldFilter(sub, indexed, kinds)
				conds, args, exact = append(conds, c...), append(args, a...), exact && e
			}
			continue
		}
		if strings.HasPrefix(key, "$") || !indexed[key] {
			exact = false
			continue
		}
		c, a, k, e := heraldCondition(heraldColumn(key), v)
		conds, args, exact = append(conds, c...), append(args, a...), exact && e
		kinds[key] |= k
	}
	return conds, args, exact
}

// heraldTextKind is heraldText for values whose JSON text sorts as they do.
func heraldTextKind(v any) int {
	switch v := v.(type) {
	case types.ObjectID, time.Time:
		return heraldText
	case string:
		if _, ok := heraldRangeArg(v); ok {
			return heraldText
		}
	}
	return 0
}

// heraldOrderBy translates a sort on indexed fields; "" if any part cannot be pushed down. SQLite
// orders an index by the JSON text of the values, which is their order only for strings (of
// Herald's id characters), ObjectIDs and dates: a sort key is pushed down only when it is `_id`
// or the filter compares it with such a value (a query sorting by a date with no bound on it can
// say so with a bound far away, e.g. `$lte` a minute from now). Numbers are sorted in memory.
func heraldOrderBy(sort *types.Document, indexed map[string]bool, kinds map[string]int) string {
	if sort.Len() == 0 {
		return ""
	}
	parts := make([]string, 0, sort.Len())
	for _, key := range sort.Keys() {
		if !indexed[key] || (key != "_id" && kinds[key]&heraldText == 0) {
			return ""
		}
		v, _ := sort.Get(key)
		switch v {
		case int64(1), int32(1), float64(1):
			parts = append(parts, heraldColumn(key))
		case int64(-1), int32(-1), float64(-1):
			parts = append(parts, heraldColumn(key)+" DESC")
		default:
			return ""
		}
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

// heraldPlanFor plans a query of filter, sorted by sort (not $natural), limited to limit (0: none).
func heraldPlanFor(meta *metadata.Collection, filter, sort *types.Document, limit int64) heraldPlan {
	indexed := heraldIndexed(meta)
	var p heraldPlan
	kinds := map[string]int{}
	conds, args, exact := heraldFilter(filter, indexed, kinds)
	if len(conds) > 0 {
		p.where = " WHERE " + strings.Join(conds, " AND ")
		p.args = args
	}
	p.exact = exact
	p.orderBy = heraldOrderBy(sort, indexed, kinds)
	if p.where != "" || p.orderBy != "" {
		p.indexedBy = heraldChooseIndex(meta, kinds, sort)
	}
	if limit > 0 && exact && (sort.Len() == 0 || p.orderBy != "") {
		p.limit = limit
	}
	return p
}

// heraldChooseIndex names the index that serves the query best, as an INDEXED BY clause, or ""
// to leave the choice to SQLite. SQLite has no statistics of FerretDB's tables, and without them
// it takes a two-sided range on `_id` (a cursor page within since/until) over an equality on
// `accountId` and `status` followed by `_id`: the wrong index at a million documents. The best
// index has the longest run of equality-matched leading keys, then a range or the sort on the next
// key; `_id` equality always wins. INDEXED BY is given only when the index is certainly usable
// (its first key is constrained), so SQLite never refuses the query.
func heraldChooseIndex(meta *metadata.Collection, kinds map[string]int, sort *types.Document) string {
	if meta == nil {
		return ""
	}
	// By _id (one or a list): the primary index. SQLite does not always take it by itself: it
	// estimates an `$in` of 50 ids above an equality on `accountId` (about 10 rows, it guesses) and
	// read an account's every event for a page of an entity's 50 (1.8 s at a million notifications).
	if kinds["_id"]&heraldEq != 0 {
		for _, index := range meta.Settings.Indexes {
			if len(index.Key) == 1 && index.Key[0].Field == "_id" {
				return fmt.Sprintf(` INDEXED BY %q`, meta.TableName+"_"+index.Name)
			}
		}
		return ""
	}
	best, bestScore, bestLen := "", 0, 0
	for _, index := range meta.Settings.Indexes {
		eq := 0
		for eq < len(index.Key) && kinds[index.Key[eq].Field]&heraldEq != 0 {
			eq++
		}
		score := eq * 4
		if eq < len(index.Key) {
			if kinds[index.Key[eq].Field]&heraldRange != 0 {
				score += 2
			}
			if heraldSortFollows(index.Key[eq:], sort) {
				score++
			}
		}
		if eq == 0 && score < 2 {
			continue
		}
		if score > bestScore || (score == bestScore && len(index.Key) < bestLen) {
			best, bestScore, bestLen = index.Name, score, len(index.Key)
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(` INDEXED BY %q`, meta.TableName+"_"+best)
}

// heraldSortFollows: the sort is the index's next keys, all in its direction or all reversed.
func heraldSortFollows(keys []metadata.IndexKeyPair, sort *types.Document) bool {
	if sort.Len() == 0 || sort.Len() > len(keys) {
		return false
	}
	flipped := 0
	for i, key := range sort.Keys() {
		if keys[i].Field != key {
			return false
		}
		v, _ := sort.Get(key)
		desc := v == int64(-1) || v == int32(-1) || v == float64(-1)
		if desc != keys[i].Descending {
			flipped++
		}
	}
	return flipped == 0 || flipped == sort.Len()
}
