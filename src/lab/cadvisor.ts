import { sendJson, sendText, splitUrl } from './http.js';
import type { Handler } from './servers.js';
import { stableUid } from './store.js';

/** A standalone cAdvisor on port 4194 (what kubelets before 1.12 exposed with --cadvisor-port). */
export function cadvisorHandler(nodeName: string): Handler {
  return (req, res) => {
    const { path } = splitUrl(req);
    if (path === '/') {
      res.writeHead(307, { location: '/containers/', 'content-type': 'text/html; charset=utf-8' });
      res.end('<a href="/containers/">Temporary Redirect</a>.\n\n');
      return;
    }
    if (path.startsWith('/containers')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!DOCTYPE html>\n<html>\n<head>\n<title>cAdvisor - /</title>\n</head>\n<body>\n<h1>cAdvisor</h1>\n<div>Overview of ${nodeName}: /kubepods, /system.slice</div>\n</body>\n</html>\n`,
      );
      return;
    }
    if (path === '/healthz') return sendText(res, 200, 'ok');
    if (path === '/metrics') {
      return sendText(
        res,
        200,
        `# HELP cadvisor_version_info A metric with a constant '1' value labeled by kernel version, OS version, docker version, cadvisor version & cadvisor revision.\n# TYPE cadvisor_version_info gauge\ncadvisor_version_info{cadvisorRevision="8949c822",cadvisorVersion="v0.32.0",dockerVersion="18.09.7",kernelVersion="6.1.0-18-amd64",osVersion="Debian GNU/Linux 12 (bookworm)"} 1\n`,
        { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      );
    }
    if (path === '/api/v1.3/machine' || path === '/api/v2.0/machine') {
      return sendJson(res, 200, {
        num_cores: 4,
        cpu_frequency_khz: 2894560,
        memory_capacity: 8343760896,
        machine_id: stableUid(`machine/${nodeName}`).replace(/-/g, ''),
        system_uuid: stableUid(`system/${nodeName}`),
        boot_id: stableUid(`boot/${nodeName}`),
      });
    }
    if (path === '/api/v2.0/version') return sendJson(res, 200, 'v0.32.0');
    if (path === '/api/v1.3/containers' || path === '/api/v1.3/containers/') {
      return sendJson(res, 200, {
        name: '/',
        subcontainers: [{ name: '/kubepods' }, { name: '/system.slice' }],
        spec: { has_cpu: true, has_memory: true },
      });
    }
    sendText(res, 404, '404 page not found\n');
  };
}
