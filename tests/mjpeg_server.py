"""A local live stream for the tests: the sample video's frames served as MJPEG over HTTP on loopback, as an IP
camera serves them (multipart/x-mixed-replace), in real time."""

import http.server
import threading
import time

import cv2


class MJPEGServer:
    """Serves ``video`` at http://127.0.0.1:{port}/{name}.mjpg, each connection from the first frame, at ``fps``.

    Args:
        frames (int or None): frames sent on a connection before it is closed (None: the whole video).
        connections (int or None): connections served; later ones get 404 (None: any number).
        hang (bool): after its frames, keep the connection open without sending (a stalled camera).
    """

    def __init__(self, video, name, fps=25., frames=None, connections=None, hang=False):
        self.name = name
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with server._lock:
                    server.served += 1
                    allowed = connections is None or server.served <= connections
                if not allowed or self.path != '/{}.mjpg'.format(name):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header('Content-Type', 'multipart/x-mixed-replace; boundary=frame')
                self.end_headers()
                capture = cv2.VideoCapture(video)
                sent = 0
                try:
                    while frames is None or sent < frames:
                        ok, image = capture.read()
                        if not ok or server._stop.is_set():
                            break
                        data = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
                        self.wfile.write(b'--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n'
                                         % len(data) + data + b'\r\n')
                        sent += 1
                        time.sleep(1. / fps)
                    if hang:
                        server._stop.wait()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away
                finally:
                    capture.release()

            def log_message(self, *args):
                pass

        self.served = 0
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._http = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self):
        return 'http://127.0.0.1:{}/{}.mjpg'.format(self._http.server_address[1], self.name)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._http.shutdown()
        self._http.server_close()
