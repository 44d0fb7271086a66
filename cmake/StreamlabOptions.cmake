# Warnings and sanitizers shared by every target of the project.
add_library(streamlab_options INTERFACE)
target_compile_options(streamlab_options INTERFACE -Wall -Wextra -Wno-unused-parameter)
# gRPC/abseil headers and Qt's lower-case keywords do not mix well: use
# Q_SIGNALS / Q_SLOTS / Q_EMIT everywhere.
target_compile_definitions(streamlab_options INTERFACE QT_NO_KEYWORDS)

set(STREAMLAB_SANITIZE "" CACHE STRING "Sanitizers to build with: 'address;undefined' or 'thread'")
if(STREAMLAB_SANITIZE)
  string(REPLACE ";" "," _san "${STREAMLAB_SANITIZE}")
  message(STATUS "Streamlab: building with -fsanitize=${_san}")
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer)
  if(_san MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
  add_link_options(-fsanitize=${_san})
  if(_san MATCHES "thread")
    # Debian's grpc/abseil are not built with TSan: show TSan the synchronisation
    # inside them (absl::Mutex, grpc_call batches) and keep QProcess's vfork-style
    # clone from confusing it. Linked into every executable; see the file.
    add_library(streamlab_tsan_sync OBJECT ${CMAKE_CURRENT_LIST_DIR}/tsan/TsanGrpcSync.cpp)
    target_compile_options(streamlab_tsan_sync PRIVATE -fno-sanitize=thread)   # its own bookkeeping: not tracked
    target_link_libraries(streamlab_tsan_sync PRIVATE gRPC::grpc++)
    target_sources(streamlab_options INTERFACE $<TARGET_OBJECTS:streamlab_tsan_sync>)
    target_link_libraries(streamlab_options INTERFACE gRPC::grpc++ ${CMAKE_DL_LIBS})
  endif()
endif()
