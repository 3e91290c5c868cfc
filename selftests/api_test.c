// SPDX-License-Identifier: GPL-2.0
/*
 * The system ioctls of /dev/vessel: version, capabilities, the errors of
 * bad requests, and the layout of every uapi struct.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <vessel.h>
#include "uapi_layout.h"

/* Every VESSEL_CAP_* bit this test knows of. */
#define PV_CAPS		(VESSEL_CAP_PV_MINIMAL | VESSEL_CAP_PV_KVM | \
			 VESSEL_CAP_PV_HYPERV)
#define KNOWN_CAPS	(((VESSEL_CAP_RUN_PENDING << 1) - 1) | PV_CAPS)

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open("/dev/vessel", O_RDWR);
	ASSERT_GE(self->fd, 0) TH_LOG("open /dev/vessel: %s (vessel.ko loaded?)",
				      strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, api_version)
{
	EXPECT_EQ(VESSEL_API_VERSION, ioctl(self->fd, VESSEL_GET_API_VERSION, 0));
}

TEST_F(dev, api_version_nonzero_arg_einval)
{
	EXPECT_EQ(-1, ioctl(self->fd, VESSEL_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, caps_sane)
{
	struct vessel_caps caps;
	unsigned int i;

	memset(&caps, 0xa5, sizeof(caps));
	ASSERT_EQ(0, ioctl(self->fd, VESSEL_GET_CAPS, &caps));
	EXPECT_EQ(VESSEL_API_VERSION, caps.api_version);
	EXPECT_EQ(VESSEL_CAP_EPT | VESSEL_CAP_UNRESTRICTED_GUEST,
		  caps.flags & (VESSEL_CAP_EPT | VESSEL_CAP_UNRESTRICTED_GUEST));
	EXPECT_EQ(0, caps.flags & ~KNOWN_CAPS);
	EXPECT_TRUE(caps.flags & VESSEL_CAP_RUN_PENDING);
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), caps.nr_cpus);
	EXPECT_GE(caps.max_vcpus, 1);
	EXPECT_GE(caps.max_mem_slots, 1);
	EXPECT_GE(caps.max_mem_bytes, 1ULL << 20);
	EXPECT_EQ(caps.vmx_basic & 0x7fffffff, caps.vmcs_revision);
	EXPECT_NE(0, caps.vmx_procbased2 >> 32);
	EXPECT_EQ(0, caps.pad0);
	for (i = 0; i < ARRAY_SIZE(caps.reserved); i++)
		EXPECT_EQ(0, caps.reserved[i]) TH_LOG("reserved[%u]", i);
}

TEST_F(dev, unknown_ioctl_enotty)
{
	const unsigned long bad[] = {
		0,
		_IO(VESSEL_IO, 0x7f),
		_IOR(VESSEL_IO, 0x01, uint32_t),	/* GET_CAPS, wrong size */
		_IOW(VESSEL_IO, 0x01, struct vessel_caps),	/* wrong direction */
		_IO(0xAE, 0x00),			/* KVM_GET_API_VERSION */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, bad[i], 0)) TH_LOG("cmd %#lx", bad[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", bad[i]);
	}
}

TEST_F(dev, caps_bad_pointer_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	void *none, *ro;

	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_NE(MAP_FAILED, ro);

	EXPECT_EQ(-1, ioctl(self->fd, VESSEL_GET_CAPS, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, VESSEL_GET_CAPS, none));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, VESSEL_GET_CAPS, ro));
	EXPECT_EQ(EFAULT, errno);
	/* A struct straddling the end of a readable mapping into a hole. */
	EXPECT_EQ(-1, ioctl(self->fd, VESSEL_GET_CAPS, (char *)none - 8));
	EXPECT_EQ(EFAULT, errno);
	munmap(none, page);
	munmap(ro, page);
}

TEST(devnode_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/vessel", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
}

TEST(open_close_many)
{
	int i, fd, first = -1;

	for (i = 0; i < 10000; i++) {
		fd = open("/dev/vessel", O_RDWR);
		ASSERT_GE(fd, 0) TH_LOG("open #%d: %s", i, strerror(errno));
		if (first < 0)
			first = fd;
		/* Nothing stays open behind our back. */
		ASSERT_EQ(first, fd);
		ASSERT_EQ(0, close(fd));
	}
}

/* The layout is ABI: each field at its documented offset. */
TEST(layout_of_every_uapi_struct)
{
	unsigned int i;

	for (i = 0; i < UAPI_LAYOUT_COUNT; i++)
		EXPECT_EQ(uapi_layout[i].expected, uapi_layout[i].actual)
			TH_LOG("%s", uapi_layout[i].what);
}

TEST_HARNESS_MAIN
