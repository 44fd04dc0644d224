"""Packaging for distributions: the source tree a packager builds from, the DKMS .deb and
the source tarball (``invoke package``).

  build     package(): both artefacts from the checkout's HEAD (invoke package)
  version   the module version, from the commit the tree was built from
  tree      the shipped tree: module sources, the compat generator, dkms.conf
  deb       wgcompat-dkms_<version>_all.deb, built with dpkg-deb
  tarball   wgcompat-<version>.tar.gz and its .sha256
  root      throwaway Debian roots (copies of a cached wgcompat.chroot) where the DKMS path is tried
"""
