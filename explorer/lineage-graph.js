// A model's lineage drawn as a graph (inline SVG, built with DOM calls: the CSP allows no inline markup):
// the model, then each ancestor (an adapter's parent, its parent...), then the datanet versions their outputs
// owe to, each box a link to its page. Columns left to right, so the arrows read "built on".

const SVG = "http://www.w3.org/2000/svg";
const BOX_W = 150;
const BOX_H = 44;
const GAP_X = 50;
const GAP_Y = 14;

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...Element} children
 */
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/**
 * @param {string} text
 * @param {number} x
 * @param {number} y
 */
function label(text, x, y) {
  const t = svg("text", { x, y });
  t.textContent = text.length > 22 ? `${text.slice(0, 21)}…` : text;
  return t;
}

/**
 * @typedef {{ id: string, href: string, lines: [string, string], datanet?: boolean, x: number, y: number }} Box
 */

/**
 * @param {Box} b
 */
function drawBox(b) {
  return svg(
    "a",
    { "href": b.href, "aria-label": `${b.lines[0]} ${b.lines[1]}` },
    svg("rect", { x: b.x, y: b.y, width: BOX_W, height: BOX_H, rx: 6, class: b.datanet === true ? "datanet" : "model" }),
    label(b.lines[0], b.x + 8, b.y + 18),
    label(b.lines[1], b.x + 8, b.y + 35),
  );
}

/**
 * An arrow from the right edge of `from` to the left edge of `to`.
 * @param {Box} from
 * @param {Box} to
 */
function arrow(from, to) {
  const x1 = from.x + BOX_W;
  const y1 = from.y + BOX_H / 2;
  const x2 = to.x;
  const y2 = to.y + BOX_H / 2;
  return svg("g", {}, svg("line", { x1, y1, x2: x2 - 6, y2 }), svg("polygon", { points: `${x2},${y2} ${x2 - 8},${y2 - 4} ${x2 - 8},${y2 + 4}` }));
}

/**
 * @param {import("./types.js").Model[]} chain the model first, then its ancestors, parent first
 * @param {import("./types.js").VersionRef[]} lineage every datanet version the chain owes to
 * @returns {SVGElement}
 */
export function lineageGraph(chain, lineage) {
  /** @type {Box[]} */
  const models = chain.map((m, i) => ({
    id: `model-${m.id}`,
    href: `#/model/${m.id}`,
    lines: [`${m.kind} ${m.id}`, m.name],
    x: i * (BOX_W + GAP_X),
    y: 0,
  }));
  const vx = chain.length * (BOX_W + GAP_X);
  /** @type {Box[]} */
  const versions = lineage.map((v, i) => ({
    id: `version-${v.datanetId}-${v.version}`,
    href: `#/datanet/${v.datanetId}`,
    lines: [`datanet ${v.datanetId}`, `version ${v.version}`],
    datanet: true,
    x: vx,
    y: i * (BOX_H + GAP_Y),
  }));
  const edges = [];
  for (let i = 0; i + 1 < models.length; i++) edges.push(arrow(models[i], models[i + 1]));
  for (const [i, v] of lineage.entries()) {
    // From the model of the chain that names the version in its trainedOn (the nearest one), else the root.
    const at = chain.findIndex((m) => m.trainedOn.some((t) => t.datanetId === v.datanetId && t.version === v.version));
    edges.push(arrow(models[at === -1 ? models.length - 1 : at], versions[i]));
  }
  const width = vx + (lineage.length > 0 ? BOX_W : -GAP_X) + 2;
  const height = Math.max(BOX_H, lineage.length * (BOX_H + GAP_Y) - GAP_Y) + 2;
  return svg(
    "svg",
    { "class": "lineage", "viewBox": `-1 -1 ${width} ${height}`, width, height, "role": "img", "aria-label": "lineage graph" },
    ...edges,
    ...models.map(drawBox),
    ...versions.map(drawBox),
  );
}
