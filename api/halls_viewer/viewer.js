// The hall viewer: a small WebGL renderer of our own for the hall's GLB (no library, no CDN), orbit and
// first-person cameras, POIs picked on the canvas or from the list, and walkthroughs played along their routes.
"use strict";

(function () {
  const app = document.getElementById("app");
  const config = JSON.parse(app.dataset.config);
  const canvas = document.getElementById("scene");
  const statusLine = document.getElementById("status");
  const EYE = 1.6;

  // ---- small matrix helpers (column-major 4x4, as WebGL wants) ----
  const M = {
    ident: () => [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    mul(a, b) {
      const o = new Array(16).fill(0);
      for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) o[c * 4 + r] += a[k * 4 + r] * b[c * 4 + k];
      return o;
    },
    trs(t, q, s) {
      const [x, y, z, w] = q;
      const [sx, sy, sz] = s;
      return [
        (1 - 2 * (y * y + z * z)) * sx, 2 * (x * y + z * w) * sx, 2 * (x * z - y * w) * sx, 0,
        2 * (x * y - z * w) * sy, (1 - 2 * (x * x + z * z)) * sy, 2 * (y * z + x * w) * sy, 0,
        2 * (x * z + y * w) * sz, 2 * (y * z - x * w) * sz, (1 - 2 * (x * x + y * y)) * sz, 0,
        t[0], t[1], t[2], 1,
      ];
    },
    perspective(fov, aspect, near, far) {
      const f = 1 / Math.tan(fov / 2), nf = 1 / (near - far);
      return [f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) * nf, -1, 0, 0, 2 * far * near * nf, 0];
    },
    lookAt(eye, at, up) {
      const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
      const norm = (v) => { const l = Math.hypot(...v) || 1; return v.map((x) => x / l); };
      const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
      const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
      const z = norm(sub(eye, at)), x = norm(cross(up, z)), y = cross(z, x);
      return [x[0], y[0], z[0], 0, x[1], y[1], z[1], 0, x[2], y[2], z[2], 0, -dot(x, eye), -dot(y, eye), -dot(z, eye), 1];
    },
    normal(m) { // inverse transpose of the upper 3x3
      const [a, b, c, d, e, f, g, h, i] = [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];
      const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
      const det = a * A + b * B + c * C || 1;
      return [A, B, C, -(b * i - c * h), a * i - c * g, -(a * h - b * g), b * f - c * e, -(a * f - c * d), a * e - b * d].map((v) => v / det);
    },
    apply(m, p) {
      const [x, y, z] = p;
      const w = m[3] * x + m[7] * y + m[11] * z + m[15];
      return [(m[0] * x + m[4] * y + m[8] * z + m[12]) / w, (m[1] * x + m[5] * y + m[9] * z + m[13]) / w, (m[2] * x + m[6] * y + m[10] * z + m[14]) / w, w];
    },
  };

  // ---- WebGL ----
  const gl = canvas.getContext("webgl", { antialias: true, preserveDrawingBuffer: true });
  if (!gl) { statusLine.textContent = "此设备不支持 WebGL，请使用右侧列表查看点位和办事导引。"; }
  const VS = "attribute vec3 p; attribute vec3 n; uniform mat4 mvp; uniform mat3 nm; varying vec3 vn;" +
    "void main(){ vn = normalize(nm * n); gl_Position = mvp * vec4(p, 1.0); }";
  const FS = "precision mediump float; varying vec3 vn; uniform vec4 color; uniform float lit;" +
    "void main(){ float d = max(dot(vn, normalize(vec3(0.4, 1.0, 0.3))), 0.0);" +
    " gl_FragColor = vec4(color.rgb * mix(1.0, 0.45 + 0.6 * d, lit), color.a); }";

  function program() {
    const make = (type, src) => { const s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s); return s; };
    const prog = gl.createProgram();
    gl.attachShader(prog, make(gl.VERTEX_SHADER, VS));
    gl.attachShader(prog, make(gl.FRAGMENT_SHADER, FS));
    gl.bindAttribLocation(prog, 0, "p");
    gl.bindAttribLocation(prog, 1, "n");
    gl.linkProgram(prog);
    return prog;
  }

  // one root node per floor (extras.floor); the viewer shows one floor at a time, the first by default
  const scene = { draws: [], pois: new Map(), centre: [0, 0, 0], radius: 30, route: null, floors: [], floor: null };
  let prog = null;

  function parseGlb(buffer) {
    const view = new DataView(buffer);
    if (view.getUint32(0, true) !== 0x46546c67) throw new Error("not a GLB");
    const jsonLength = view.getUint32(12, true);
    const json = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 20, jsonLength)));
    const binStart = 20 + jsonLength + 8;
    return { json, bin: buffer.slice(binStart, binStart + view.getUint32(20 + jsonLength, true)) };
  }

  function load(glb) {
    const { json, bin } = parseGlb(glb);
    const buffers = new Map();
    const accessorBuffer = (index, target) => {
      if (!buffers.has(index)) {
        const acc = json.accessors[index], bv = json.bufferViews[acc.bufferView];
        const comps = { SCALAR: 1, VEC3: 3 }[acc.type];
        const data = acc.componentType === 5123
          ? new Uint16Array(bin, (bv.byteOffset || 0) + (acc.byteOffset || 0), acc.count * comps)
          : new Float32Array(bin, (bv.byteOffset || 0) + (acc.byteOffset || 0), acc.count * comps);
        const buf = gl.createBuffer();
        gl.bindBuffer(target, buf);
        gl.bufferData(target, data, gl.STATIC_DRAW);
        buffers.set(index, { buf, count: acc.count });
      }
      return buffers.get(index);
    };
    let min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
    const visit = (index, parent, floor) => {
      const node = json.nodes[index];
      const local = node.matrix || M.trs(node.translation || [0, 0, 0], node.rotation || [0, 0, 0, 1], node.scale || [1, 1, 1]);
      const world = M.mul(parent, local);
      if (node.mesh !== undefined) {
        for (const prim of json.meshes[node.mesh].primitives) {
          const material = json.materials[prim.material] || {};
          const color = (material.pbrMetallicRoughness || {}).baseColorFactor || [0.8, 0.8, 0.8, 1];
          scene.draws.push({
            world, floor, normal: M.normal(world), color,
            pos: accessorBuffer(prim.attributes.POSITION, gl.ARRAY_BUFFER),
            nor: accessorBuffer(prim.attributes.NORMAL, gl.ARRAY_BUFFER),
            idx: accessorBuffer(prim.indices, gl.ELEMENT_ARRAY_BUFFER),
          });
        }
        const c = M.apply(world, [0, 0, 0]);
        for (let k = 0; k < 3; k++) { min[k] = Math.min(min[k], c[k]); max[k] = Math.max(max[k], c[k]); }
      }
      const extras = node.extras || {};
      if (extras.poi) scene.pois.set(extras.poi, { id: extras.poi, floor, world: M.apply(world, [0, 0, 0]).slice(0, 3) });
      for (const child of node.children || []) visit(child, world, floor);
    };
    for (const root of json.scenes[json.scene || 0].nodes) {
      const floor = (json.nodes[root].extras || {}).floor || json.nodes[root].name;
      scene.floors.push(floor);
      visit(root, M.ident(), floor);
    }
    scene.floor = scene.floors[0];
    scene.centre = [(min[0] + max[0]) / 2, 0, (min[2] + max[2]) / 2];
    scene.radius = Math.max(max[0] - min[0], max[2] - min[2]) / 2 || 20;
  }

  // ---- cameras ----
  const cam = { mode: "orbit", yaw: -0.6, pitch: 0.75, dist: 0, eye: [0, EYE, 0], look: 0 };

  function viewMatrix() {
    if (cam.mode === "orbit") {
      const c = scene.centre, d = cam.dist;
      const eye = [c[0] + d * Math.cos(cam.pitch) * Math.sin(cam.yaw), d * Math.sin(cam.pitch), c[2] + d * Math.cos(cam.pitch) * Math.cos(cam.yaw)];
      return M.lookAt(eye, c, [0, 1, 0]);
    }
    const e = cam.eye;
    const at = [e[0] - Math.sin(cam.yaw) * Math.cos(cam.look), e[1] + Math.sin(cam.look), e[2] - Math.cos(cam.yaw) * Math.cos(cam.look)];
    return M.lookAt(e, at, [0, 1, 0]);
  }

  function projection() {
    return M.perspective(Math.PI / 3.2, canvas.width / Math.max(1, canvas.height), 0.1, 1000);
  }

  function resize() {
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * ratio)), h = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  }

  function draw() {
    if (!gl || !prog) return;
    resize();
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.clearColor(0.87, 0.9, 0.93, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.DEPTH_TEST);
    gl.useProgram(prog);
    const vp = M.mul(projection(), viewMatrix());
    const u = (name) => gl.getUniformLocation(prog, name);
    gl.uniform1f(u("lit"), 1);
    for (const d of scene.draws) {
      if (d.floor !== scene.floor) continue;
      gl.uniformMatrix4fv(u("mvp"), false, M.mul(vp, d.world));
      gl.uniformMatrix3fv(u("nm"), false, d.normal);
      gl.uniform4fv(u("color"), d.color);
      gl.bindBuffer(gl.ARRAY_BUFFER, d.pos.buf);
      gl.enableVertexAttribArray(0);
      gl.vertexAttribPointer(0, 3, gl.FLOAT, false, 0, 0);
      gl.bindBuffer(gl.ARRAY_BUFFER, d.nor.buf);
      gl.enableVertexAttribArray(1);
      gl.vertexAttribPointer(1, 3, gl.FLOAT, false, 0, 0);
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, d.idx.buf);
      gl.drawElements(gl.TRIANGLES, d.idx.count, gl.UNSIGNED_SHORT, 0);
    }
    if (scene.route) drawRoute(vp, u);
  }

  function drawRoute(vp, u) {
    gl.uniformMatrix4fv(u("mvp"), false, vp);
    gl.uniform4fv(u("color"), [0.9, 0.1, 0.1, 1]);
    gl.uniform1f(u("lit"), 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, scene.route.buf);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 3, gl.FLOAT, false, 0, 0);
    gl.disableVertexAttribArray(1);
    gl.vertexAttrib3f(1, 0, 1, 0);
    gl.drawArrays(gl.LINE_STRIP, 0, scene.route.count);
  }

  function showRoute(points) {
    const flat = [];
    for (const p of points) flat.push(p.x, elevation(p.floor) + 0.05, -p.y);
    if (!scene.route) scene.route = { buf: gl.createBuffer(), count: 0 };
    gl.bindBuffer(gl.ARRAY_BUFFER, scene.route.buf);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(flat), gl.DYNAMIC_DRAW);
    scene.route.count = points.length;
  }

  function elevation(floor) {
    const f = hall && hall.floors.find((x) => x.id === floor);
    return f ? f.elevation : 0;
  }

  function setFloor(floor) {
    if (!floor || floor === scene.floor) return;
    scene.floor = floor;
    scene.centre[1] = elevation(floor);
    for (const b of document.querySelectorAll("#floors button")) b.setAttribute("aria-pressed", String(b.dataset.floor === floor));
    draw();
  }

  function setMode(mode) {
    cam.mode = mode;
    document.getElementById("mode-orbit").setAttribute("aria-pressed", String(mode === "orbit"));
    document.getElementById("mode-walk").setAttribute("aria-pressed", String(mode === "walk"));
    if (mode === "walk" && hall) {
      const entrance = hall.pois.find((p) => p.kind === "entrance") || hall.pois[0];
      setFloor(entrance.position.floor);
      cam.eye = [entrance.position.x, elevation(entrance.position.floor) + EYE, -entrance.position.y];
      cam.yaw = 0;
      cam.look = 0;
    }
    draw();
  }

  // ---- input: keyboard, mouse, touch ----
  function move(forward, side) {
    cam.eye[0] += -Math.sin(cam.yaw) * forward + Math.cos(cam.yaw) * side;
    cam.eye[2] += -Math.cos(cam.yaw) * forward - Math.sin(cam.yaw) * side;
  }

  canvas.addEventListener("keydown", (ev) => {
    const k = ev.key.toLowerCase();
    const walk = cam.mode === "walk";
    const acts = {
      arrowleft: () => { cam.yaw += 0.08; }, arrowright: () => { cam.yaw -= 0.08; },
      arrowup: () => (walk ? move(0.5, 0) : (cam.pitch = Math.min(1.5, cam.pitch + 0.05))),
      arrowdown: () => (walk ? move(-0.5, 0) : (cam.pitch = Math.max(0.1, cam.pitch - 0.05))),
      w: () => move(0.5, 0), s: () => move(-0.5, 0), a: () => move(0, -0.5), d: () => move(0, 0.5),
      "+": () => { cam.dist = Math.max(5, cam.dist * 0.9); }, "=": () => { cam.dist = Math.max(5, cam.dist * 0.9); },
      "-": () => { cam.dist = Math.min(400, cam.dist * 1.1); },
      v: () => setMode(walk ? "orbit" : "walk"),
      enter: () => { const c = nearestPoi(canvas.clientWidth / 2, canvas.clientHeight / 2, Infinity); if (c) selectPoi(c); },
    };
    if (acts[k]) { acts[k](); ev.preventDefault(); draw(); }
  });

  let drag = null;
  canvas.addEventListener("pointerdown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, moved: false }; canvas.focus(); });
  canvas.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    drag.x = ev.clientX; drag.y = ev.clientY;
    cam.yaw -= dx * 0.005;
    if (cam.mode === "orbit") cam.pitch = Math.min(1.5, Math.max(0.1, cam.pitch + dy * 0.005));
    else cam.look = Math.min(1.2, Math.max(-1.2, cam.look - dy * 0.005));
    draw();
  });
  canvas.addEventListener("pointerup", (ev) => {
    if (drag && !drag.moved) {
      const r = canvas.getBoundingClientRect();
      const id = nearestPoi(ev.clientX - r.left, ev.clientY - r.top, 28);
      if (id) selectPoi(id);
    }
    drag = null;
  });
  canvas.addEventListener("wheel", (ev) => { cam.dist = Math.min(400, Math.max(5, cam.dist * (ev.deltaY > 0 ? 1.1 : 0.9))); ev.preventDefault(); draw(); }, { passive: false });
  window.addEventListener("resize", draw);

  function screenPosition(id) { // CSS pixels inside the canvas, or null when behind the camera
    const poi = scene.pois.get(id);
    if (!poi) return null;
    const p = M.apply(M.mul(projection(), viewMatrix()), poi.world);
    if (p[3] <= 0) return null;
    return { x: (p[0] + 1) / 2 * canvas.clientWidth, y: (1 - p[1]) / 2 * canvas.clientHeight };
  }

  function nearestPoi(x, y, within) {
    let best = null, bestD = within;
    for (const [id, poi] of scene.pois) {
      if (poi.floor !== scene.floor) continue; // only the floor on show can be picked
      const s = screenPosition(id);
      if (!s) continue;
      const d = Math.hypot(s.x - x, s.y - y);
      if (d < bestD) { best = id; bestD = d; }
    }
    return best;
  }

  // ---- data and panels ----
  let hall = null;
  const QUERY = `query Hall($id: ID!) { hall(id: $id) { id name address hotline gltfUrl etag floors { id name elevation }
    pois { id name kind number position { x y floor } reminders
      services { id found title url materials timeLimit fee phone cases { title url } forms { title url } } }
    services { id found } } }`;
  const WALK = `query Walk($id: ID!, $service: String!) { hall(id: $id) { walkthrough(service: $service) {
    sequence metres stops { action reminders checklist poi { id name } route { metres narration points { x y floor } } } } } }`;

  async function graphql(query, variables) {
    const res = await fetch(config.graphql, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ query, variables }) });
    const body = await res.json();
    if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
    return body.data;
  }

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  function selectPoi(id) {
    const poi = hall.pois.find((p) => p.id === id);
    if (!poi) return;
    setFloor(poi.position.floor);
    const detail = document.getElementById("detail");
    document.getElementById("detail-title").textContent = poi.name;
    const body = document.getElementById("detail-body");
    body.replaceChildren();
    body.dataset.poi = poi.id;
    for (const r of poi.reminders) body.append(el("p", "提示：" + r));
    for (const s of poi.services) {
      const box = el("div", null, { class: "service", "data-service": s.id });
      box.append(el("h3", s.id));
      if (!s.found) box.append(el("p", "平台暂无该事项的办事指南", { class: "missing" }));
      if (s.url) { const a = el("a", s.title, { href: s.url }); box.append(a); }
      if (s.materials.length) { const ul = el("ul"); for (const m of s.materials) ul.append(el("li", m)); box.append(el("p", "申请材料：")); box.append(ul); }
      if (s.timeLimit) box.append(el("p", "办理时限：" + s.timeLimit));
      if (s.fee) box.append(el("p", "收费：" + s.fee));
      if (s.phone) box.append(el("p", "咨询电话：" + s.phone));
      for (const c of s.cases.concat(s.forms)) { const p = el("p"); p.append(el("a", c.title, { href: c.url })); box.append(p); }
      body.append(box);
    }
    detail.hidden = false;
    statusLine.textContent = "已选中：" + poi.name;
  }

  function fillPanels() {
    const floors = document.getElementById("floors");
    if (hall.floors.length > 1) {
      for (const f of hall.floors) {
        const b = el("button", f.name, { type: "button", "data-floor": f.id, "aria-pressed": String(f.id === hall.floors[0].id) });
        b.addEventListener("click", () => setFloor(f.id));
        floors.append(b);
      }
      floors.hidden = false;
    }
    const list = document.getElementById("pois");
    for (const poi of hall.pois) {
      const b = el("button", poi.name, { type: "button", "data-poi": poi.id });
      b.addEventListener("click", () => selectPoi(poi.id));
      const li = el("li");
      li.append(b);
      list.append(li);
    }
    const select = document.getElementById("service");
    for (const s of hall.services) select.append(el("option", s.id, { value: s.id }));
  }

  async function play() {
    const service = document.getElementById("service").value;
    const data = await graphql(WALK, { id: config.hall, service });
    const w = data.hall.walkthrough;
    const stops = document.getElementById("stops");
    stops.replaceChildren();
    const points = [];
    for (const s of w.stops) {
      const li = el("li", s.poi.name + "：" + s.action);
      for (const r of s.reminders) li.append(el("div", "提示：" + r));
      if (s.checklist.length) li.append(el("div", "材料：" + s.checklist.join("、")));
      if (s.route) { li.append(el("div", s.route.narration)); points.push(...s.route.points); }
      stops.append(li);
    }
    statusLine.textContent = w.sequence + "（约" + w.metres + "米）";
    if (!gl) return;
    showRoute(points);
    setMode("walk");
    animate(points, stops.children, w.stops);
  }

  function animate(points, items, stops) {
    let leg = 0, t = 0, stopIndex = 1;
    const step = () => {
      if (leg >= points.length - 1) { draw(); return; }
      const a = points[leg], b = points[leg + 1];
      if (a.floor !== b.floor) { leg += 1; t = 0; setFloor(b.floor); requestAnimationFrame(step); return; } // a ride
      const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      t += 0.6 / len;
      if (t >= 1) { t = 0; leg += 1; }
      const p = t === 0 && leg < points.length ? points[Math.min(leg, points.length - 1)] : { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
      const on = t === 0 ? points[Math.min(leg, points.length - 1)] : a;
      setFloor(on.floor);
      cam.eye = [p.x, elevation(on.floor) + EYE, -p.y];
      cam.yaw = Math.atan2(-(b.x - a.x), (b.y - a.y));
      for (const li of items) li.classList.remove("current");
      const at = stops.findIndex((s, n) => n >= stopIndex && s.route && s.route.points.some((q) => q.x === b.x && q.y === b.y));
      if (at >= 0 && items[at]) items[at].classList.add("current");
      draw();
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  async function start() {
    const data = await graphql(QUERY, { id: config.hall });
    hall = data.hall;
    fillPanels();
    document.getElementById("mode-orbit").addEventListener("click", () => setMode("orbit"));
    document.getElementById("mode-walk").addEventListener("click", () => setMode("walk"));
    document.getElementById("play").addEventListener("click", () => play().catch(fail));
    if (gl) {
      prog = program();
      const res = await fetch(hall.gltfUrl);
      if (!res.ok) throw new Error("模型加载失败：" + res.status);
      load(await res.arrayBuffer());
      cam.dist = scene.radius * 2.4;
      draw();
    }
    statusLine.textContent = hall.name + "（" + hall.address + "）：点击点位查看办理事项";
    document.body.dataset.ready = "1";
  }

  function fail(err) { statusLine.textContent = "出错了：" + err.message; }

  window.hallViewer = { screenPosition, selectPoi, setMode, setFloor, get mode() { return cam.mode; }, get floor() { return scene.floor; } };
  start().catch(fail);
})();
