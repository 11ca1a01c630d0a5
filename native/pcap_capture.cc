// scanwatch's libpcap binding (Node-API, node-addon-api).
//
// One job: move packets from a libpcap handle into a JavaScript Buffer in
// batches, laid out exactly as the records of a classic nanosecond pcap file
// (pcap-savefile(5); draft-ietf-opsawg-pcap section 5: a 16-byte record
// header of seconds, nanoseconds, captured length, original length, then the
// captured bytes), so that the same record loop that reads capture files
// (src/capture/capture-parser.ts) reads the live ring.
//
// Shape, and why:
// - pcap_create/pcap_set_* /pcap_activate, NOT immediate mode: on Linux,
//   libpcap then uses TPACKET_V3, whose ring blocks hold packets packed one
//   after another (each takes its captured length, not a fixed slot), and
//   the kernel hands a block over when it is full or when the timeout
//   (pcap_set_timeout) expires. Immediate mode falls back to TPACKET_V2 and
//   a fixed frame per packet (pcap-linux.c).
// - Non-blocking handle whose pcap_get_selectable_fd is watched by a libuv
//   poll handle on Node's main loop: no thread, no locking. On readiness,
//   pcap_dispatch copies each packet into the buffer and, once the ring is
//   drained or the buffer is full, ONE JavaScript call hands over the batch.
// - Errors (the interface went down or was removed: PCAP_ERROR from
//   pcap_dispatch, POLLERR on the socket) go to an error callback with
//   pcap_geterr's text; nothing here ever aborts the process.
// - pcap_stats (ps_recv, ps_drop, ps_ifdrop) is exposed as it is.
// - usage() says what the capture costs: wake-ups, batches, and the main
//   thread's CPU time (CLOCK_THREAD_CPUTIME_ID) in libpcap and the copy
//   versus in the JavaScript batch handler (parser and rules), read twice
//   per wake-up and twice per batch, never per packet.
//
// Nothing here is allocated per packet.

#include <napi.h>
#include <pcap/pcap.h>
#include <uv.h>

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>

namespace {

// Batches handed to JavaScript per poll wake-up before yielding to the
// event loop (timers, the metrics server); the poll fires again at once if
// the ring still holds packets.
constexpr int kMaxBatchesPerWake = 16;
constexpr size_t kRecordHeader = 16;

// CPU time of the calling thread in nanoseconds (0 if the clock is missing).
uint64_t ThreadCpuNs() {
  struct timespec t;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

class PcapCapture : public Napi::ObjectWrap<PcapCapture> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "PcapCapture",
                                      {
                                          InstanceMethod("open", &PcapCapture::Open),
                                          InstanceMethod("start", &PcapCapture::Start),
                                          InstanceMethod("stats", &PcapCapture::Stats),
                                          InstanceMethod("usage", &PcapCapture::Usage),
                                          InstanceMethod("close", &PcapCapture::Close),
                                      });
    exports.Set("PcapCapture", ctor);
    exports.Set("libVersion", Napi::String::New(env, pcap_lib_version()));
    return exports;
  }

  explicit PcapCapture(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PcapCapture>(info) {}

  ~PcapCapture() override { Shutdown(); }

 private:
  pcap_t* pcap_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  bool nano_ = false;
  bool started_ = false;
  bool failed_ = false;

  // The batch buffer (JavaScript-owned) and the callbacks.
  Napi::Reference<Napi::Buffer<uint8_t>> bufferRef_;
  uint8_t* buf_ = nullptr;
  size_t bufLen_ = 0;
  size_t maxRecord_ = 0;
  size_t used_ = 0;
  uint32_t packets_ = 0;
  Napi::FunctionReference onBatch_;
  Napi::FunctionReference onError_;

  // usage(): counted since start().
  double wakeups_ = 0;
  double batches_ = 0;
  uint64_t drainNs_ = 0;    // thread CPU in Drain, handler included
  uint64_t handlerNs_ = 0;  // thread CPU in the JavaScript batch handler

  // ------------------------------------------------------------- helpers

  static uint32_t OptUint(Napi::Object o, const char* key, uint32_t dflt) {
    Napi::Value v = o.Get(key);
    return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : dflt;
  }

  // Throws a JavaScript Error whose message is `what: detail`, plus a
  // `code` property naming libpcap's status (so callers can tell "no such
  // device" from "permission denied" without parsing text).
  void Throw(Napi::Env env, const std::string& what, int status) {
    std::string detail = pcap_ ? pcap_geterr(pcap_) : "";
    std::string msg = what;
    if (status != 0) {
      const char* s = pcap_statustostr(status);
      if (detail.empty()) detail = s;
    }
    if (!detail.empty()) msg += ": " + detail;
    Napi::Error err = Napi::Error::New(env, msg);
    err.Set("status", Napi::Number::New(env, status));
    if (pcap_) {
      pcap_close(pcap_);
      pcap_ = nullptr;
    }
    err.ThrowAsJavaScriptException();
  }

  void Shutdown() {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (pcap_ != nullptr) {
      pcap_close(pcap_);
      pcap_ = nullptr;
    }
  }

  // ---------------------------------------------------------------- open

  // open(device, { snaplen, bufferSize, promisc, timeoutMs, filter, datalink })
  //   -> { linkType (DLT), snaplen (as libpcap set it), nanosecond, warning }
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (pcap_ != nullptr) {
      Napi::Error::New(env, "already open").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
      Napi::TypeError::New(env, "open(device: string, options: object)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::string device = info[0].As<Napi::String>();
    Napi::Object o = info[1].As<Napi::Object>();
    char errbuf[PCAP_ERRBUF_SIZE] = {0};

    pcap_ = pcap_create(device.c_str(), errbuf);
    if (pcap_ == nullptr) {
      Napi::Error err = Napi::Error::New(env, std::string("pcap_create: ") + errbuf);
      err.Set("status", Napi::Number::New(env, PCAP_ERROR));
      err.ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int rc;
    if ((rc = pcap_set_snaplen(pcap_, static_cast<int>(OptUint(o, "snaplen", 512)))) != 0) {
      Throw(env, "pcap_set_snaplen", rc);
      return env.Undefined();
    }
    if ((rc = pcap_set_buffer_size(pcap_, static_cast<int>(OptUint(o, "bufferSize", 64u << 20)))) != 0) {
      Throw(env, "pcap_set_buffer_size", rc);
      return env.Undefined();
    }
    if ((rc = pcap_set_promisc(pcap_, o.Get("promisc").ToBoolean().Value() ? 1 : 0)) != 0) {
      Throw(env, "pcap_set_promisc", rc);
      return env.Undefined();
    }
    if ((rc = pcap_set_timeout(pcap_, static_cast<int>(OptUint(o, "timeoutMs", 100)))) != 0) {
      Throw(env, "pcap_set_timeout", rc);
      return env.Undefined();
    }
    // Kernel timestamps in nanoseconds where the platform has them; libpcap
    // refuses the setting (PCAP_ERROR_TSTAMP_PRECISION_NOTSUP) otherwise and
    // microseconds are scaled below.
    nano_ = pcap_set_tstamp_precision(pcap_, PCAP_TSTAMP_PRECISION_NANO) == 0;

    rc = pcap_activate(pcap_);
    std::string warning;
    if (rc < 0) {
      Throw(env, "pcap_activate", rc);
      return env.Undefined();
    }
    if (rc > 0) warning = std::string(pcap_statustostr(rc)) + ": " + pcap_geterr(pcap_);
    nano_ = pcap_get_tstamp_precision(pcap_) == PCAP_TSTAMP_PRECISION_NANO;

    Napi::Value dl = o.Get("datalink");
    if (dl.IsNumber()) {
      // Best effort: e.g. DLT_LINUX_SLL2 on "any" (libpcap >= 1.10); the
      // default link type stays when the device does not offer it.
      pcap_set_datalink(pcap_, dl.As<Napi::Number>().Int32Value());
    }

    Napi::Value filter = o.Get("filter");
    if (filter.IsString() && filter.As<Napi::String>().Utf8Value().size() > 0) {
      std::string text = filter.As<Napi::String>();
      struct bpf_program prog;
      if (pcap_compile(pcap_, &prog, text.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        Throw(env, "filter", PCAP_ERROR);
        return env.Undefined();
      }
      rc = pcap_setfilter(pcap_, &prog);
      pcap_freecode(&prog);
      if (rc != 0) {
        Throw(env, "filter", rc);
        return env.Undefined();
      }
    }
    if (pcap_setnonblock(pcap_, 1, errbuf) != 0) {
      Throw(env, std::string("pcap_setnonblock: ") + errbuf, PCAP_ERROR);
      return env.Undefined();
    }
    if (pcap_get_selectable_fd(pcap_) < 0) {
      Throw(env, "no selectable file descriptor for this device", PCAP_ERROR);
      return env.Undefined();
    }

    Napi::Object r = Napi::Object::New(env);
    r.Set("linkType", Napi::Number::New(env, pcap_datalink(pcap_)));
    r.Set("snaplen", Napi::Number::New(env, pcap_snapshot(pcap_)));
    r.Set("nanosecond", Napi::Boolean::New(env, nano_));
    r.Set("warning", warning.empty() ? env.Null() : Napi::String::New(env, warning));
    return r;
  }

  // --------------------------------------------------------------- start

  // start(buffer, onBatch(bytes, packets), onError(message))
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (pcap_ == nullptr || started_) {
      Napi::Error::New(env, started_ ? "already started" : "not open").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info.Length() < 3 || !info[0].IsBuffer() || !info[1].IsFunction() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "start(buffer: Buffer, onBatch: Function, onError: Function)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
    maxRecord_ = kRecordHeader + static_cast<size_t>(pcap_snapshot(pcap_));
    if (b.Length() < maxRecord_) {
      Napi::RangeError::New(env, "batch buffer smaller than one record").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    bufferRef_ = Napi::Persistent(b);
    buf_ = b.Data();
    bufLen_ = b.Length();
    onBatch_ = Napi::Persistent(info[1].As<Napi::Function>());
    onError_ = Napi::Persistent(info[2].As<Napi::Function>());

    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      Napi::Error::New(env, "no event loop").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll_ = new uv_poll_t;
    int rc = uv_poll_init(loop, poll_, pcap_get_selectable_fd(pcap_));
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
      Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll_->data = this;
    rc = uv_poll_start(poll_, UV_READABLE, &PcapCapture::OnReadable);
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
      Napi::Error::New(env, std::string("uv_poll_start: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    started_ = true;
    Ref();  // the poll handle refers to this object until close()
    return env.Undefined();
  }

  static void OnPacket(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
    PcapCapture* self = reinterpret_cast<PcapCapture*>(user);
    uint32_t cap = h->caplen;
    if (self->used_ + kRecordHeader + cap > self->bufLen_) return;  // cannot happen: dispatch counts bound it
    uint32_t hdr[4];
    hdr[0] = static_cast<uint32_t>(h->ts.tv_sec);
    hdr[1] = static_cast<uint32_t>(self->nano_ ? h->ts.tv_usec : h->ts.tv_usec * 1000);
    hdr[2] = cap;
    hdr[3] = h->len;
    uint8_t* p = self->buf_ + self->used_;
    std::memcpy(p, hdr, sizeof hdr);
    std::memcpy(p + kRecordHeader, bytes, cap);
    self->used_ += kRecordHeader + cap;
    self->packets_++;
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    PcapCapture* self = static_cast<PcapCapture*>(handle->data);
    self->Drain(status);
  }

  void Drain(int pollStatus) {
    wakeups_++;
    const uint64_t started = ThreadCpuNs();
    DrainBatches(pollStatus);
    drainNs_ += ThreadCpuNs() - started;
  }

  void DrainBatches(int pollStatus) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (int batch = 0; batch < kMaxBatchesPerWake && pcap_ != nullptr; batch++) {
      used_ = 0;
      packets_ = 0;
      int err = 0;
      bool drained = false;
      while (bufLen_ - used_ >= maxRecord_) {
        int room = static_cast<int>((bufLen_ - used_) / maxRecord_);
        int n = pcap_dispatch(pcap_, room, &PcapCapture::OnPacket, reinterpret_cast<u_char*>(this));
        if (n < 0) {
          err = n;
          break;
        }
        if (n < room) {
          drained = true;
          break;
        }
      }
      if (packets_ > 0) {
        batches_++;
        const uint64_t handlerStarted = ThreadCpuNs();
        Call(onBatch_, {Napi::Number::New(env, static_cast<double>(used_)), Napi::Number::New(env, packets_)});
        handlerNs_ += ThreadCpuNs() - handlerStarted;
        if (pcap_ == nullptr) return;  // closed from the callback
      }
      if (err == PCAP_ERROR || (err == 0 && drained && pollStatus < 0)) {
        // PCAP_ERROR: libpcap's text says what happened. A POLLERR on the
        // socket that libpcap did not turn into an error (libpcap 1.10 in
        // non-blocking mode returns 0) is the socket's pending error: the
        // kernel sets ENETDOWN on packet sockets bound to an interface that
        // goes down or is unregistered (net/packet/af_packet.c,
        // packet_notifier).
        std::string msg;
        if (err == PCAP_ERROR) {
          msg = pcap_geterr(pcap_);
        } else {
          int soerr = 0;
          socklen_t len = sizeof soerr;
          if (getsockopt(pcap_get_selectable_fd(pcap_), SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr != 0) {
            msg = std::strerror(soerr);
          } else {
            // libuv reports POLLERR as UV_EBADF, whose text would mislead.
            msg = "error condition on the capture socket: POLLERR";
          }
        }
        Fail(env, msg);
        return;
      }
      if (drained || err != 0) return;
    }
  }

  void Fail(Napi::Env env, const std::string& msg) {
    if (failed_) return;
    failed_ = true;
    if (poll_ != nullptr) uv_poll_stop(poll_);
    Call(onError_, {Napi::String::New(env, msg)});
  }

  // Calls into JavaScript as a new top-level callback (microtasks run after
  // it); an exception it throws is reported as uncaught, as for any event.
  void Call(Napi::FunctionReference& fn, std::initializer_list<napi_value> args) {
    Napi::Env env = Env();
    fn.MakeCallback(env.Global(), args);
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
  }

  // --------------------------------------------------------------- stats

  // stats() -> { recv, drop, ifdrop } or null when libpcap cannot tell
  // (the device is gone).
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct pcap_stat st;
    if (pcap_ == nullptr || pcap_stats(pcap_, &st) != 0) return env.Null();
    Napi::Object r = Napi::Object::New(env);
    r.Set("recv", Napi::Number::New(env, st.ps_recv));
    r.Set("drop", Napi::Number::New(env, st.ps_drop));
    r.Set("ifdrop", Napi::Number::New(env, st.ps_ifdrop));
    return r;
  }

  // usage() -> { wakeups, batches, captureNs, handlerNs }: poll wake-ups,
  // batches handed to JavaScript, and the main thread's CPU nanoseconds in
  // the capture (libpcap, the copy, N-API) and in the batch handler.
  Napi::Value Usage(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object r = Napi::Object::New(env);
    r.Set("wakeups", Napi::Number::New(env, wakeups_));
    r.Set("batches", Napi::Number::New(env, batches_));
    r.Set("captureNs", Napi::Number::New(env, static_cast<double>(drainNs_ - handlerNs_)));
    r.Set("handlerNs", Napi::Number::New(env, static_cast<double>(handlerNs_)));
    return r;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    if (started_) {
      started_ = false;
      onBatch_.Reset();
      onError_.Reset();
      bufferRef_.Reset();
      buf_ = nullptr;
      Unref();
    }
    return info.Env().Undefined();
  }
};

Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return PcapCapture::Init(env, exports); }

}  // namespace

NODE_API_MODULE(scanwatch_pcap, InitAll)
