# cmake -DIN=file.md -DOUT=out.md -P EbmDocLinks.cmake: copies a markdown file for the installed doc
# directory (share/doc/ebm-studio), where docs/images/**.png is installed as images/ beside it: PNG
# paths written relative to the source tree (docs/images/…, ../../docs/images/…) become images/….
file(READ "${IN}" text)
string(REGEX REPLACE "(\\.\\./\\.\\./)?docs/images/([A-Za-z0-9_./-]+\\.png)" "images/\\2" text "${text}")
file(WRITE "${OUT}" "${text}")
