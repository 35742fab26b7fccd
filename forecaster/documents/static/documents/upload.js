// Bulk upload with progress: drag and drop or pick several PDFs; each file is sent on its own
// (one request per file, so one bad file never spoils the others), with a progress bar.
// Without JavaScript the form posts every file at once and the server lists the results.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const input = document.getElementById("id_files");
  const zone = document.getElementById("dropzone");
  const box = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const bar = document.getElementById("upload-bar");
  const list = document.getElementById("upload-results");
  const t = document.getElementById("upload-i18n").dataset;
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const fmt = (s, values) => s.replace(/%\((\w+)\)s/g, (_, k) => String(values[k]));

  ["dragenter", "dragover"].forEach((ev) => zone.addEventListener(ev, (e) => {
    e.preventDefault();
    zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((ev) => zone.addEventListener(ev, (e) => {
    e.preventDefault();
    zone.classList.remove("over");
  }));
  zone.addEventListener("drop", (e) => {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      form.requestSubmit();
    }
  });

  function addResult(r) {
    const li = document.createElement("li");
    li.className = r.ok ? "ok" : "bad";
    const name = document.createElement("strong");
    name.textContent = r.name;
    li.append(name, ": " + r.message + " ");
    if (r.url) {
      const a = document.createElement("a");
      a.href = r.url;
      a.textContent = r.ok ? t.open : t.existing;
      li.append(a);
    }
    list.append(li);
  }

  function send(file, i, n) {
    return new Promise((resolve) => {
      const data = new FormData();
      data.append("files", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) {
          bar.style.width = (((i - 1) + e.loaded / e.total) / n * 100).toFixed(1) + "%";
        }
      };
      xhr.onload = () => {
        let results;
        try {
          results = JSON.parse(xhr.responseText).results;
        } catch (err) {
          results = null;
        }
        resolve(results && results.length ? results[0] : {name: file.name, ok: false, message: t.network});
      };
      xhr.onerror = () => resolve({name: file.name, ok: false, message: t.network});
      xhr.send(data);
    });
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const files = Array.from(input.files);
    if (!files.length) return;
    box.hidden = false;
    list.replaceChildren();
    form.querySelector("button[type=submit]").disabled = true;
    let ok = 0;
    for (let i = 1; i <= files.length; i++) {
      status.textContent = fmt(t.file, {i: i, n: files.length, name: files[i - 1].name});
      const r = await send(files[i - 1], i, files.length);
      if (r.ok) ok++;
      addResult(r);
    }
    bar.style.width = "100%";
    status.textContent = fmt(t.done, {ok: ok, bad: files.length - ok});
    const back = document.createElement("a");
    back.href = t.inbox;
    back.textContent = t.inboxLabel;
    back.id = "go-to-inbox";
    status.append(" ", back);
    form.querySelector("button[type=submit]").disabled = false;
    input.value = "";
  });
})();
