{
  # scanwatch's own libpcap binding (native/pcap_capture.cc), built by
  # node-gyp during `npm ci` (npm runs `node-gyp rebuild` for a package with
  # a binding.gyp and no install script). Needs libpcap-dev and g++
  # (scripts/setup.sh installs them).
  'targets': [
    {
      'target_name': 'scanwatch_pcap',
      'sources': ['native/pcap_capture.cc'],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags_cc': ['-std=c++17', '-O2', '-Wall', '-Wextra'],
      'libraries': ['-lpcap'],
    },
  ],
}
