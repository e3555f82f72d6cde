# Every outside library is found here and nowhere else (STYLE.md §14).
# Each becomes an IMPORTED target prle::<name>.
find_package(PkgConfig REQUIRED)

# OpenBLAS: prefer Debian's OpenMP build, which runs single-threaded inside an
# OpenMP parallel region instead of oversubscribing the cores (STYLE.md §10).
set(_arch_dir "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
set(_arch_inc "/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}")
find_library(PRLE_OPENBLAS_LIB NAMES openblas
    PATHS "${_arch_dir}/openblas-openmp" NO_DEFAULT_PATH)
find_path(PRLE_CBLAS_INCLUDE cblas.h
    PATHS "${_arch_inc}/openblas-openmp" NO_DEFAULT_PATH)
if(NOT PRLE_OPENBLAS_LIB OR NOT PRLE_CBLAS_INCLUDE)
    pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
    add_library(prle::openblas ALIAS PkgConfig::OPENBLAS)
else()
    add_library(prle_openblas INTERFACE)
    target_link_libraries(prle_openblas INTERFACE "${PRLE_OPENBLAS_LIB}")
    target_include_directories(prle_openblas SYSTEM INTERFACE "${PRLE_CBLAS_INCLUDE}")
    add_library(prle::openblas ALIAS prle_openblas)
endif()

pkg_check_modules(LAPACKE REQUIRED IMPORTED_TARGET lapacke)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)
pkg_check_modules(ARCHIVE REQUIRED IMPORTED_TARGET libarchive)
# FFTW (single precision): the t-SNE repulsion by FFT-accelerated interpolation (src/analysis/tsne_fft.c)
pkg_check_modules(FFTW REQUIRED IMPORTED_TARGET fftw3f)

find_path(PRLE_SVM_INCLUDE svm.h PATH_SUFFIXES libsvm REQUIRED)
find_library(PRLE_SVM_LIB NAMES svm REQUIRED)
add_library(prle_svm INTERFACE)
target_link_libraries(prle_svm INTERFACE "${PRLE_SVM_LIB}")
target_include_directories(prle_svm SYSTEM INTERFACE "${PRLE_SVM_INCLUDE}")
add_library(prle::svm ALIAS prle_svm)

# liblinear: linear SVR for the experts' meta-init (src/prle/meta_init.c only).
find_path(PRLE_LINEAR_INCLUDE linear.h PATH_SUFFIXES liblinear REQUIRED)
find_library(PRLE_LINEAR_LIB NAMES linear REQUIRED)
add_library(prle_linear INTERFACE)
target_link_libraries(prle_linear INTERFACE "${PRLE_LINEAR_LIB}")
target_include_directories(prle_linear SYSTEM INTERFACE "${PRLE_LINEAR_INCLUDE}")
add_library(prle::linear ALIAS prle_linear)

if(PRLE_OPENMP)
    find_package(OpenMP REQUIRED COMPONENTS C)
endif()
find_package(Threads REQUIRED)

# llama.cpp for the gguf encoder (src/encode/gguf.c, the only file including llama.h): Debian
# has none, so scripts/llama.sh builds it once per version into the user cache (static,
# position independent) from the source node-llama-cpp ships on npm, at the first configure.
option(PRLE_LLAMA "build the gguf encoder on llama.cpp (scripts/llama.sh builds it once)" ON)
set(PRLE_LLAMA_DIR "" CACHE PATH "a llama.cpp build laid out as scripts/llama.sh makes it; empty: \
that script's (built on first use)")
if(PRLE_LLAMA AND PRLE_LLAMA_DIR)
    set(PRLE_LLAMA_DIR "${PRLE_LLAMA_DIR}")
elseif(PRLE_LLAMA)
    execute_process(COMMAND "${PROJECT_SOURCE_DIR}/scripts/llama.sh"
        OUTPUT_VARIABLE _llama_dir RESULT_VARIABLE _llama_rc
        OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT _llama_rc EQUAL 0)
        message(FATAL_ERROR "scripts/llama.sh could not build llama.cpp (PRLE_LLAMA=OFF builds "
            "without the gguf encoder)")
    endif()
    set(PRLE_LLAMA_DIR "${_llama_dir}")
endif()
if(PRLE_LLAMA)
    message(STATUS "llama.cpp: ${PRLE_LLAMA_DIR}")
    # a removed cache reconfigures, which builds it again
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${PRLE_LLAMA_DIR}/STAMP")
    # and a changed script (another version or flags) builds and links the new one
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
        "${PROJECT_SOURCE_DIR}/scripts/llama.sh")
    add_library(prle_llama INTERFACE)
    target_include_directories(prle_llama SYSTEM INTERFACE "${PRLE_LLAMA_DIR}/include")
    target_link_libraries(prle_llama INTERFACE "${PRLE_LLAMA_DIR}/lib/libllama.a"
        "${PRLE_LLAMA_DIR}/lib/libggml.a" "${PRLE_LLAMA_DIR}/lib/libggml-cpu.a"
        "${PRLE_LLAMA_DIR}/lib/libggml-base.a" stdc++ gomp Threads::Threads m)
    target_compile_definitions(prle_llama INTERFACE PRLE_HAVE_LLAMA=1)
    add_library(prle::llama ALIAS prle_llama)
endif()

# Open MPI: prle embed shards rows over ranks under mpirun (cli/mpi.c, the only file
# including mpi.h); without mpirun the tool runs as one process.
find_package(MPI REQUIRED COMPONENTS C)
