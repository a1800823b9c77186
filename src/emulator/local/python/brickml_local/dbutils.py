"""`dbutils` for notebooks the emulator runs: widgets, notebook.exit and a minimal fs."""

import base64

from . import api


class NotebookExit(BaseException):
    """Raised by dbutils.notebook.exit; ends the notebook successfully with a value."""

    def __init__(self, value):
        super().__init__(value)
        self.value = value


class InputWidgetNotDefined(Exception):
    pass


class _Widgets:
    def __init__(self, parameters):
        self._parameters = dict(parameters)
        self._defaults = {}

    def _define(self, name, default):
        self._defaults[str(name)] = "" if default is None else str(default)

    def text(self, name, defaultValue="", label=None):
        self._define(name, defaultValue)

    def dropdown(self, name, defaultValue, choices, label=None):
        self._define(name, defaultValue)

    def combobox(self, name, defaultValue, choices, label=None):
        self._define(name, defaultValue)

    def multiselect(self, name, defaultValue, choices, label=None):
        self._define(name, defaultValue)

    def get(self, name):
        name = str(name)
        if name in self._parameters:
            return self._parameters[name]
        if name in self._defaults:
            return self._defaults[name]
        raise InputWidgetNotDefined(f"No input widget named {name} is defined")

    def getArgument(self, name, defaultValue=None):
        try:
            return self.get(name)
        except InputWidgetNotDefined:
            return defaultValue

    def getAll(self):
        return {**self._defaults, **self._parameters}

    def remove(self, name):
        self._defaults.pop(str(name), None)

    def removeAll(self):
        self._defaults.clear()


class _Notebook:
    def exit(self, value):
        raise NotebookExit(str(value))

    def run(self, path, timeout_seconds=0, arguments=None):
        raise NotImplementedError(
            "dbutils.notebook.run is not available in the brickml emulator; run the other notebook "
            "as its own job task."
        )


class FileInfo(tuple):
    """What dbutils.fs.ls returns per entry: path, name, size, modificationTime."""

    def __new__(cls, path, name, size, modification_time):
        return super().__new__(cls, (path, name, size, modification_time))

    path = property(lambda self: self[0])
    name = property(lambda self: self[1])
    size = property(lambda self: self[2])
    modificationTime = property(lambda self: self[3])

    def isDir(self):
        return self.name.endswith("/")

    def isFile(self):
        return not self.isDir()


def _volume_path(path):
    p = str(path)
    if p.startswith("dbfs:"):
        p = p[len("dbfs:") :]
    if not p.startswith("/Volumes/"):
        raise NotImplementedError(
            f"dbutils.fs in the brickml emulator reaches Unity Catalog volumes (/Volumes/...) and, "
            f"read-only, workspace files (/Workspace/...); not {path}"
        )
    return p


def _workspace_path(path):
    p = str(path)
    if p.startswith("file:"):
        p = p[len("file:") :]
    return p[len("/Workspace") :] if p.startswith("/Workspace/") else None


class _Fs:
    def ls(self, path):
        ws = _workspace_path(path)
        if ws is not None:
            objects = api.get("/api/2.0/workspace/list", path=ws).get("objects", [])
            return [
                FileInfo(
                    "/Workspace" + o["path"] + ("/" if o.get("object_type") == "DIRECTORY" else ""),
                    o["path"].rsplit("/", 1)[-1] + ("/" if o.get("object_type") == "DIRECTORY" else ""),
                    o.get("size", 0),
                    o.get("modified_at", 0),
                )
                for o in objects
            ]
        p = _volume_path(path).rstrip("/")
        out = []
        for e in api.get("/api/2.0/fs/directories" + p).get("contents", []):
            name = e["name"] + ("/" if e.get("is_directory") else "")
            out.append(FileInfo(e["path"] + ("/" if e.get("is_directory") else ""), name, e.get("file_size", 0), e.get("last_modified", 0)))
        return out

    def head(self, path, maxBytes=65536):
        ws = _workspace_path(path)
        if ws is not None:
            content = api.get("/api/2.0/workspace/export", path=ws, format="AUTO").get("content", "")
            data = base64.b64decode(content)
        else:
            data = api.download(_volume_path(path))
        return data[: int(maxBytes)].decode("utf-8", errors="replace")

    def put(self, path, contents, overwrite=False):
        api.upload(_volume_path(path), str(contents).encode("utf-8"), overwrite=bool(overwrite))
        return True

    def mkdirs(self, path):
        api.call("PUT", "/api/2.0/fs/directories" + _volume_path(path).rstrip("/"))
        return True

    def rm(self, path, recurse=False):
        p = _volume_path(path).rstrip("/")
        try:
            api.delete("/api/2.0/fs/files" + p)
        except api.ApiError as e:
            if e.status != 404:
                raise
            if recurse:
                for entry in self.ls(p):
                    self.rm(entry.path, recurse=True)
            api.delete("/api/2.0/fs/directories" + p)
        return True

    def cp(self, source, destination, recurse=False):
        if recurse:
            raise NotImplementedError("dbutils.fs.cp(recurse=True) is not available in the brickml emulator")
        api.upload(_volume_path(destination), api.download(_volume_path(source)))
        return True


class DBUtils:
    def __init__(self, parameters):
        self.widgets = _Widgets(parameters)
        self.notebook = _Notebook()
        self.fs = _Fs()

    def __getattr__(self, name):
        raise NotImplementedError(
            f"dbutils.{name} is not available in the brickml emulator (it offers widgets, notebook.exit and fs)"
        )
